#include "daemon/deploy/shared_branch_lock.hpp"

#include "daemon/store/pg_branch_lock.hpp"

namespace juanie::daemon {
namespace {

class HeldInStore : public runner::HeldBranch {
 public:
  explicit HeldInStore(std::unique_ptr<store::pg::HeldBranchLock> lock) : lock_(std::move(lock)) {}

 private:
  std::unique_ptr<store::pg::HeldBranchLock> lock_;
};

}  // namespace

Result<std::unique_ptr<runner::HeldBranch>> SharedBranchLock::hold(
    const std::string& url, const std::string& branch) const {
  auto held = store::pg::hold_branch(url_file_, url, branch, wait_);
  if (!held) return std::unexpected(held.error());
  return std::make_unique<HeldInStore>(std::move(*held));
}

}  // namespace juanie::daemon
