#pragma once

#include <memory>
#include <string>

#include "pipelines/error.hpp"

namespace juanie::runner {

// A GitOps branch held for one change; released when this ends.
class HeldBranch {
 public:
  virtual ~HeldBranch() = default;
};

// Keeps the writers of other build nodes off a GitOps branch while this node writes it. The
// writer's lock file covers this node's own threads and processes; nodes sharing a store hold
// this as well (a PostgreSQL advisory lock), so their pushes take turns instead of racing and
// retrying on each other's new tips.
class BranchLock {
 public:
  virtual ~BranchLock() = default;
  // Waits until no other node writes `branch` of `url`; an error when that takes too long or
  // the lock cannot be asked for.
  virtual Result<std::unique_ptr<HeldBranch>> hold(const std::string& url,
                                                   const std::string& branch) const = 0;
};

}  // namespace juanie::runner
