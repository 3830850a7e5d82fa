#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "pipelines/error.hpp"

namespace juanie::runner {

// libgit2's process-wide state, owned by the composition root for the life of the program.
class GitLibrary {
 public:
  GitLibrary();
  ~GitLibrary();
  GitLibrary(const GitLibrary&) = delete;
  GitLibrary& operator=(const GitLibrary&) = delete;
};

struct HeadInfo {
  std::string sha;
  std::string branch;  // empty when HEAD is detached
};

// The commit and branch HEAD points at in the repository at (or above) `dir`.
Result<HeadInfo> read_head(const std::filesystem::path& dir);

// What one checkout may cost. libgit2 inflates each file whole in the daemon's memory as it
// writes it, so a pushed 20 GB file of zeros (a few MB compressed) must be refused before a
// byte of it is read.
struct CheckoutLimits {
  std::uint64_t file_max = 512ULL << 20;  // one file
  std::uint64_t total_max = 8ULL << 30;   // all files of the commit
};

// Writes the tree of commit `sha` of the repository at `repo` into `workspace` (created if
// missing), without a .git: the exact files of that commit, nothing else. The sizes are read
// from the objects' headers first; a commit over `limits` is refused naming the largest file.
// With `from`, the commit `workspace` already holds exactly (checked out by this function and
// not written since), only what differs between the two trees is written, removed or changed.
Result<void> checkout_commit(const std::filesystem::path& repo, const std::string& sha,
                             const std::filesystem::path& workspace, CheckoutLimits limits = {},
                             const std::string& from = "");

}  // namespace juanie::runner
