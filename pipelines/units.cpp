#include "pipelines/units.hpp"

#include <array>
#include <limits>
#include <utility>

namespace juanie::pipelines {
namespace {

// Reads a run of digits; nullopt when there is none or it overflows.
std::optional<std::uint64_t> read_number(std::string_view& text) {
  std::uint64_t value = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (i == 0) return std::nullopt;
  text.remove_prefix(i);
  return value;
}

std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::nullopt;
  return a * b;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 5> kUnits{
      {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
  if (text.empty()) return std::nullopt;
  std::uint64_t total = 0;
  while (!text.empty()) {
    auto number = read_number(text);
    if (!number) return std::nullopt;
    std::optional<std::uint64_t> factor;
    for (const auto& [unit, ms] : kUnits) {
      // "ms" must win over "m".
      if (text.starts_with(unit) && (unit != "m" || !text.starts_with("ms"))) {
        factor = ms;
        text.remove_prefix(unit.size());
        break;
      }
    }
    if (!factor) return std::nullopt;
    auto part = checked_mul(*number, *factor);
    if (!part || total > std::numeric_limits<std::int64_t>::max() - *part) return std::nullopt;
    total += *part;
  }
  if (total == 0) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(total));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 8> kUnits{
      {{"KiB", 1ULL << 10},
       {"MiB", 1ULL << 20},
       {"GiB", 1ULL << 30},
       {"KB", 1000ULL},
       {"MB", 1000ULL * 1000},
       {"GB", 1000ULL * 1000 * 1000},
       {"B", 1},
       {"", 1}}};
  auto number = read_number(text);
  if (!number) return std::nullopt;
  for (const auto& [unit, factor] : kUnits) {
    if (text == unit) return checked_mul(*number, factor);
  }
  return std::nullopt;
}

}  // namespace juanie::pipelines
