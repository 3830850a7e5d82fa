#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runner/random_source.hpp"

// Byte-level primitives for verifying forges and tokens. Pure functions over OpenSSL.
namespace juanie::daemon {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::string_view data);
Digest hmac_sha256(std::string_view key, std::string_view data);
// HMAC with one of sha224, sha256, sha384, sha512 (raw bytes); nullopt for any other name.
std::optional<std::string> hmac_sha2(std::string_view hash, std::string_view key,
                                     std::string_view data);

std::string hex_encode(const Digest& digest);
// Lowercase or uppercase hex of exactly 32 bytes; nullopt otherwise.
std::optional<Digest> hex_decode_digest(std::string_view hex);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// RFC 4648 §5 (URL- and file-safe alphabet), without padding: for tokens in URLs.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// OpenSSL's CSPRNG: the daemon's random source, for tokens, ids and jitter alike.
class OpenSslRandom final : public runner::RandomSource {
 public:
  void fill(std::span<std::uint8_t> bytes) const override;
  std::uint64_t up_to(std::uint64_t most) const override;
};

// `n` bytes from `random`, hex-encoded.
std::string random_hex(const runner::RandomSource& random, std::size_t n);
// `n` bytes from OpenSSL's CSPRNG, hex-encoded.
std::string random_hex(std::size_t n);

// Compares in time that depends only on the length, never on where the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);
bool constant_time_equal(const Digest& a, const Digest& b);

}  // namespace juanie::daemon
