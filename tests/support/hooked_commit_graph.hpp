#pragma once

#include <functional>
#include <mutex>
#include <utility>

#include "runner/commit_graph.hpp"

namespace juanie::test {

// The real commit graph, with a hook that runs once, just before the first comparison: the
// moment between a Deployer's look at what an environment runs and its recording transaction,
// where a test lets someone else record a deployment.
class HookedCommitGraph final : public runner::CommitGraph {
 public:
  void before_first_comparison(std::function<void()> hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }
  int comparisons() const {
    std::lock_guard lock(mutex_);
    return comparisons_;
  }

  Result<bool> is_strict_ancestor(const std::filesystem::path& repo, const std::string& older,
                                  const std::string& newer) const override {
    std::function<void()> hook;
    {
      std::lock_guard lock(mutex_);
      ++comparisons_;
      hook = std::exchange(hook_, {});
    }
    if (hook) hook();
    return real_.is_strict_ancestor(repo, older, newer);
  }

 private:
  runner::LibGit2CommitGraph real_;
  mutable std::mutex mutex_;
  mutable std::function<void()> hook_;
  mutable int comparisons_ = 0;
};

}  // namespace juanie::test
