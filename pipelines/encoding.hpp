#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// Byte ↔ text encodings, one implementation for the whole tree. Pure.
namespace juanie::pipelines {

// Lowercase hex of every byte.
std::string hex_encode(std::string_view bytes);
// 0–15 for a hex digit of either case, -1 otherwise.
int hex_digit(char c);
// The bytes of hex text of either case; nullopt for an odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view hex);

// RFC 4648 §4, padded.
std::string base64_encode(std::string_view bytes);
// Standard alphabet; padding optional but only at the end; nullopt for any other character
// or an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

// RFC 3986 percent-encoding of everything but the unreserved characters (A-Z a-z 0-9 - _ . ~).
std::string percent_encode(std::string_view bytes);

// Untrusted bytes as a short quoted excerpt for a log line or an audit row: the first `max`
// bytes between double quotes, printable ASCII kept but `"` and `\` escaped, every other byte
// as \xNN (so no newline, control or invalid UTF-8 gets through), and "..." after the closing
// quote when there was more.
std::string quoted_excerpt(std::string_view bytes, std::size_t max);

}  // namespace juanie::pipelines
