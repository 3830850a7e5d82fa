#include "daemon/approvals/link_token.hpp"

#include <charconv>

#include "daemon/support/crypto.hpp"
#include "pipelines/split.hpp"

namespace juanie::daemon::approvals {
namespace {

using pipelines::split;

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kMaxToken = 2048;

std::string mac(std::string_view secret, std::string_view purpose, std::string_view text) {
  const Digest d = hmac_sha256(secret, std::string(purpose) + "\n" + std::string(text));
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string encode_claims(const LinkClaims& c) {
  return std::to_string(c.deployment) + "\n" + c.approver + "\n" + c.environment + "\n" + c.digest +
         "\n" + std::to_string(c.expires) + "\n" + c.nonce;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size() && out >= 0;
}

std::unexpected<LinkError> error(LinkFault fault, std::string message) {
  return std::unexpected(LinkError{fault, std::move(message)});
}

}  // namespace

SigningKey make_signing_key(std::string secret) {
  return SigningKey{hex_encode(sha256(secret)).substr(0, 8), std::move(secret)};
}

std::string sign_link(LinkClaims claims, const SigningKey& key) {
  claims.key_id = key.id;
  const std::string signed_part =
      std::string(kVersion) + "." + key.id + "." + base64url_encode(encode_claims(claims));
  return signed_part + "." + mac(key.secret, "juanie approval link", signed_part);
}

std::expected<LinkClaims, LinkError> verify_link(std::string_view token,
                                                 const std::vector<SigningKey>& keys) {
  if (token.size() > kMaxToken) return error(LinkFault::kMalformed, "the link is too long");
  const auto parts = split(token, '.');
  if (parts.size() != 4 || parts[0] != kVersion) {
    return error(LinkFault::kMalformed, "the link is not a juanie approval link");
  }
  const SigningKey* key = nullptr;
  for (const auto& k : keys) {
    if (constant_time_equal(k.id, parts[1])) key = &k;
  }
  if (!key)
    return error(LinkFault::kUnknownKey,
                 "the link was signed with a key this server does not hold");
  const std::string_view signed_part = token.substr(0, token.size() - parts[3].size() - 1);
  if (!constant_time_equal(mac(key->secret, "juanie approval link", signed_part), parts[3])) {
    return error(LinkFault::kBadSignature, "the link's signature does not match: it was altered");
  }
  // Signed by us: what follows can only fail for a token we made wrongly.
  auto text = base64url_decode(parts[2]);
  if (!text) return error(LinkFault::kMalformed, "the link's claims are not readable");
  const auto fields = split(*text, '\n');
  if (fields.size() != 6) return error(LinkFault::kMalformed, "the link's claims are incomplete");
  LinkClaims c;
  if (!parse_int(fields[0], c.deployment) || !parse_int(fields[4], c.expires)) {
    return error(LinkFault::kMalformed, "the link's claims are not readable");
  }
  c.approver = fields[1];
  c.environment = fields[2];
  c.digest = fields[3];
  c.nonce = fields[5];
  c.key_id = key->id;
  if (c.approver.empty() || c.environment.empty() || c.nonce.empty()) {
    return error(LinkFault::kMalformed, "the link's claims are incomplete");
  }
  return c;
}

std::string csrf_value(const LinkClaims& claims, const std::vector<SigningKey>& keys) {
  for (const auto& k : keys) {
    if (k.id == claims.key_id) return mac(k.secret, "juanie approval form", claims.nonce);
  }
  return {};
}

std::string link_base(const config::DaemonConfig& daemon, std::uint16_t bound_port) {
  std::string base = daemon.public_url;
  if (base.empty()) {
    base = (daemon.tls ? "https://" : "http://") + daemon.listen.host + ":" +
           std::to_string(daemon.listen.port == 0 ? bound_port : daemon.listen.port);
  }
  while (base.ends_with("/")) base.pop_back();
  return base;
}

std::string mint_link(std::string_view base, LinkClaims claims, const SigningKey& key) {
  claims.nonce = random_hex(16);
  return std::string(base) + "/approve/" + sign_link(std::move(claims), key);
}

}  // namespace juanie::daemon::approvals
