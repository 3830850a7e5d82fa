#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace juanie::daemon {

// Why new runs must wait: `dir`'s file system has less than `min_free` bytes left for an
// unprivileged writer (limits.min_free_disk). nullopt when there is enough, or min_free is 0.
std::optional<std::string> low_disk(const std::filesystem::path& dir, std::uint64_t min_free);

}  // namespace juanie::daemon
