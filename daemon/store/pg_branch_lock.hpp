#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "daemon/store/pg_connection.hpp"

namespace juanie::daemon::store::pg {

// A GitOps branch held across the nodes sharing a store: a transaction-level advisory lock
// (class 0x4a550005, second key hashtext(url || ' ' || branch)) on a session of its own, open
// while the change is written. Ending it commits the empty transaction, which releases the
// lock; a node that dies mid-change loses its session, and with it the lock.
class HeldBranchLock {
 public:
  explicit HeldBranchLock(Connection conn) : conn_(std::move(conn)) {}
  ~HeldBranchLock();
  HeldBranchLock(const HeldBranchLock&) = delete;
  HeldBranchLock& operator=(const HeldBranchLock&) = delete;

 private:
  Connection conn_;
};

// Waits up to `wait` for the branch (PostgreSQL's lock_timeout); a holder past that is an
// error naming the branch, of kind kUnavailable. (A GitOps URL never carries credentials:
// the project config refuses them, so the URL may go to the server to be hashed.)
Result<std::unique_ptr<HeldBranchLock>> hold_branch(const std::filesystem::path& url_file,
                                                    const std::string& url,
                                                    const std::string& branch,
                                                    std::chrono::milliseconds wait);

}  // namespace juanie::daemon::store::pg
