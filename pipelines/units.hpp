#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace juanie::pipelines {

// "30m", "24h", "1h30m", "45s", "250ms", "2d". nullopt for anything else, zero included.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "10MiB", "512KiB", "1GiB", "25MB", "4096". nullopt for anything else or on overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace juanie::pipelines
