#include "daemon/store/pg_branch_lock.hpp"

namespace juanie::daemon::store::pg {
namespace {

// Beside the classes of pg_claims.cpp (0x4a550001-3) and the intake's (0x4a550004).
constexpr int kGitOpsBranchLock = 0x4a550005;

}  // namespace

HeldBranchLock::~HeldBranchLock() {
  // A failed COMMIT leaves nothing held either: the session ends with this object.
  (void)conn_.exec("COMMIT");
}

Result<std::unique_ptr<HeldBranchLock>> hold_branch(const std::filesystem::path& url_file,
                                                    const std::string& url,
                                                    const std::string& branch,
                                                    std::chrono::milliseconds wait) {
  auto conn = Connection::connect_file(url_file);
  if (!conn) return std::unexpected(conn.error());
  if (auto begun = conn->exec("BEGIN"); !begun) return std::unexpected(begun.error());
  if (auto set = conn->exec("SELECT set_config('lock_timeout', $1, true)",
                            {std::to_string(wait.count()) + "ms"});
      !set) {
    return std::unexpected(set.error());
  }
  auto locked = conn->exec("SELECT pg_advisory_xact_lock($1, hashtext($2 || ' ' || $3))",
                           {kGitOpsBranchLock, url, branch});
  if (!locked) {
    // 55P03: lock_not_available, the wait ran out.
    if (sqlstate(locked.error()) == "55P03") {
      return fail(ErrorKind::kUnavailable, "another build node has been writing branch " + branch +
                                               " of the GitOps repository for over " +
                                               std::to_string(wait.count()) +
                                               " ms; try again later");
    }
    return std::unexpected(locked.error());
  }
  return std::make_unique<HeldBranchLock>(std::move(*conn));
}

}  // namespace juanie::daemon::store::pg
