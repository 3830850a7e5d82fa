#pragma once

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

// Writes the tree of commit `sha` of the repository at `repo` into `workspace` (created if
// missing), without a .git: the exact files of that commit, nothing else.
Result<void> checkout_commit(const std::filesystem::path& repo, const std::string& sha,
                             const std::filesystem::path& workspace);

}  // namespace juanie::runner
