#pragma once

#include <filesystem>
#include <string>

#include "pipelines/error.hpp"

namespace juanie::runner {

// Whether commit `older` is a strict ancestor of `newer` in the repository at `repo`: then
// deploying `older` after `newer` moves an environment backwards. An unknown commit is an error.
Result<bool> is_strict_ancestor(const std::filesystem::path& repo, const std::string& older,
                                const std::string& newer);

// Whether the repository at `repo` holds commit `commit` (false: it has not been fetched, or is
// not a commit). A repository that cannot be opened is an error.
Result<bool> has_commit(const std::filesystem::path& repo, const std::string& commit);

// The same question behind an interface: how the Deployer reads commit history (libgit2 in
// the daemon; in component tests, the real graph with a hook that lets a test change the store
// at the moment the Deployer compares).
class CommitGraph {
 public:
  virtual ~CommitGraph() = default;
  virtual Result<bool> is_strict_ancestor(const std::filesystem::path& repo,
                                          const std::string& older,
                                          const std::string& newer) const = 0;
};

class LibGit2CommitGraph final : public CommitGraph {
 public:
  Result<bool> is_strict_ancestor(const std::filesystem::path& repo, const std::string& older,
                                  const std::string& newer) const override {
    return runner::is_strict_ancestor(repo, older, newer);
  }
};

}  // namespace juanie::runner
