#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "runner/gitops_remote.hpp"

namespace juanie::test {

// The GitOps writer's remote in tests: fetches and pushes through the real libgit2 remote
// (to a repository on disk), except that it rejects the pushes it is told to, as a host does
// when someone else pushed first. Records every call in order.
class ScriptedRemote final : public runner::GitOpsRemote {
 public:
  // The next `n` pushes are rejected without reaching the remote. Before each, `meanwhile`
  // (if given) runs: the test moves the branch there, as the other pusher would have.
  void reject_next(int n, std::function<void()> meanwhile = {}) {
    std::lock_guard lock(mutex_);
    rejections_ = n;
    meanwhile_ = std::move(meanwhile);
  }

  // "fetch", "push" (reached the remote) and "push rejected", in order.
  std::vector<std::string> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

  Result<void> fetch(const std::filesystem::path& clone,
                     const runner::GitOpsRepository& target) const override {
    record("fetch");
    return real_.fetch(clone, target);
  }

  Result<runner::PushAnswer> push(const std::filesystem::path& clone,
                                  const runner::GitOpsRepository& target,
                                  const std::string& ref) const override {
    bool reject = false;
    std::function<void()> meanwhile;
    {
      std::lock_guard lock(mutex_);
      reject = rejections_ > 0;
      if (reject) {
        --rejections_;
        meanwhile = meanwhile_;
      }
      calls_.push_back(reject ? "push rejected" : "push");
    }
    if (!reject) return real_.push(clone, target, ref);
    if (meanwhile) meanwhile();
    return runner::PushAnswer{true, "rejected by the test (the branch moved)"};
  }

 private:
  void record(const std::string& call) const {
    std::lock_guard lock(mutex_);
    calls_.push_back(call);
  }

  runner::LibGit2Remote real_;
  mutable std::mutex mutex_;
  mutable int rejections_ = 0;
  mutable std::function<void()> meanwhile_;
  mutable std::vector<std::string> calls_;
};

}  // namespace juanie::test
