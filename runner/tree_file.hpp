#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "pipelines/error.hpp"

namespace juanie::runner {

// What a repository provides to the daemon itself (its pipeline file) is read from the commit's
// tree, never through the filesystem: a pushed symlink to /dev/zero or /etc/shadow, a FIFO or a
// 10 GB file cannot reach the daemon this way.
inline constexpr std::size_t kTreeFileMax = 1 << 20;

// The bytes of `path` (relative, '/'-separated) in commit `sha` of the repository at `repo`.
// Errors name the commit and the path: missing, a symbolic link, a directory or submodule,
// larger than `max_bytes`.
Result<std::string> read_file_at_commit(const std::filesystem::path& repo, const std::string& sha,
                                        const std::string& path,
                                        std::size_t max_bytes = kTreeFileMax);

}  // namespace juanie::runner
