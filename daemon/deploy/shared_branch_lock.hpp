#pragma once

#include <chrono>
#include <filesystem>

#include "runner/branch_lock.hpp"

namespace juanie::daemon {

// The GitOps writer's lock across build nodes sharing a PostgreSQL store
// (store::pg::hold_branch): a session of its own per change, opened from the store's URI file.
class SharedBranchLock : public runner::BranchLock {
 public:
  // `wait`: how long a change waits for another node's change to the same branch.
  SharedBranchLock(std::filesystem::path url_file, std::chrono::milliseconds wait)
      : url_file_(std::move(url_file)), wait_(wait) {}

  Result<std::unique_ptr<runner::HeldBranch>> hold(const std::string& url,
                                                   const std::string& branch) const override;

 private:
  std::filesystem::path url_file_;
  std::chrono::milliseconds wait_;
};

}  // namespace juanie::daemon
