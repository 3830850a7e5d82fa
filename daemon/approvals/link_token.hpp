#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/daemon_config.hpp"
#include "pipelines/error.hpp"

// The signed approval link: who may decide what, until when. Pure functions; the keys come in
// from files in secrets_dir.
namespace juanie::daemon::approvals {

struct SigningKey {
  std::string id;  // the first 8 hex digits of the key's SHA-256: names it in tokens
  std::string secret;
};

// The first key signs; every key verifies (rotation: add the new key first, drop the old one
// once its links have expired).
SigningKey make_signing_key(std::string secret);

struct LinkClaims {
  std::int64_t deployment = 0;
  std::string approver;
  std::string environment;
  std::string digest;        // the image digest approved: a link does not survive a rebuilt image
  std::int64_t expires = 0;  // seconds since the epoch
  std::string nonce;         // unique per link: a link records one decision
  std::string key_id;
};

// "v1.<key id>.<claims, base64url>.<HMAC-SHA256, base64url>". Fields must not contain a
// newline (approver and environment names never do).
std::string sign_link(LinkClaims claims, const SigningKey& key);

enum class LinkFault { kMalformed, kUnknownKey, kBadSignature };

struct LinkError {
  LinkFault fault;
  std::string message;
};

// Checks the MAC (in constant time) before reading a single claim; expiry is the caller's,
// with its clock.
std::expected<LinkClaims, LinkError> verify_link(std::string_view token,
                                                 const std::vector<SigningKey>& keys);

// The base of every approval link: public_url (without a trailing '/'), or scheme://listen
// when none is configured — `bound_port` when listen asked for any port (0).
std::string link_base(const config::DaemonConfig& daemon, std::uint16_t bound_port);

// A new link for `claims`, base + "/approve/" + token, signed by `key`. Its nonce is drawn
// here (each minted link records one decision), replacing any the claims carry.
std::string mint_link(std::string_view base, LinkClaims claims, const SigningKey& key);

// The value the approval form carries back: bound to this link and key, so a form posted from
// anywhere else does not carry it.
std::string csrf_value(const LinkClaims& claims, const std::vector<SigningKey>& keys);

}  // namespace juanie::daemon::approvals
