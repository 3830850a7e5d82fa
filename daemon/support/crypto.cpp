#include "daemon/support/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <limits>
#include <stdexcept>
#include <vector>

#include "pipelines/encoding.hpp"

namespace juanie::daemon {

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

std::optional<std::string> hmac_sha2(std::string_view hash, std::string_view key,
                                     std::string_view data) {
  const EVP_MD* md = hash == "sha224"   ? EVP_sha224()
                     : hash == "sha256" ? EVP_sha256()
                     : hash == "sha384" ? EVP_sha384()
                     : hash == "sha512" ? EVP_sha512()
                                        : nullptr;
  if (!md) return std::nullopt;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex_encode(const Digest& digest) {
  return pipelines::hex_encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::optional<Digest> hex_decode_digest(std::string_view hex) {
  Digest out{};
  if (hex.size() != out.size() * 2) return std::nullopt;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = pipelines::hex_digit(hex[2 * i]);
    const int lo = pipelines::hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  return pipelines::base64_encode(bytes);
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;  // the padded form only
  return pipelines::base64_decode(text);
}

std::string base64url_encode(std::string_view bytes) {
  std::string out = base64_encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (c == '+' || c == '/' || c == '=') {
      return std::nullopt;
    }
  }
  standard.append((4 - standard.size() % 4) % 4, '=');
  auto decoded = base64_decode(standard);
  // Only the canonical spelling: unused low bits of the last character must be zero, or two
  // different tokens would decode to the same bytes.
  if (decoded && base64url_encode(*decoded) != text) return std::nullopt;
  return decoded;
}

void OpenSslRandom::fill(std::span<std::uint8_t> bytes) const {
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("OpenSSL's random generator failed");
  }
}

std::uint64_t OpenSslRandom::up_to(std::uint64_t most) const {
  if (most == std::numeric_limits<std::uint64_t>::max()) {
    std::uint64_t any = 0;
    fill(std::span(reinterpret_cast<std::uint8_t*>(&any), sizeof any));
    return any;
  }
  // Rejection sampling: a plain modulo would favour the low numbers.
  const std::uint64_t span = most + 1;
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % span;
  for (;;) {
    std::uint64_t draw = 0;
    fill(std::span(reinterpret_cast<std::uint8_t*>(&draw), sizeof draw));
    if (draw < limit) return draw % span;
  }
}

std::string random_hex(const runner::RandomSource& random, std::size_t n) {
  std::vector<std::uint8_t> bytes(n);
  random.fill(bytes);
  return pipelines::hex_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), n));
}

std::string random_hex(std::size_t n) {
  return random_hex(OpenSslRandom{}, n);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equal(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace juanie::daemon
