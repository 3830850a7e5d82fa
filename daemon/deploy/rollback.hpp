#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/config/project_config.hpp"
#include "daemon/deploy/rollback_target.hpp"
#include "daemon/store/database.hpp"
#include "daemon/store/deployments.hpp"

namespace juanie::daemon {

struct RollbackStart {
  store::DeploymentRecord deployment;  // the rollback, `running` or awaiting approval
  approvals::Next next = approvals::Next::kWait;
};

// Inside the caller's transaction: records a rollback of `undone` — a new deployment of an
// earlier good image of its environment — by `who` on behalf of `person` (who then counts as
// an author of it: no self-approval where the environment forbids it; audited), and admits it
// through the environment's rollback policy. Refused (nothing written) when there is nothing
// earlier to restore, the target is not a successful deployment of the environment, a newer
// deployment is replacing or replaced `undone`, or `undone` was rolled back already.
Result<RollbackStart> start_rollback(store::Database& db, const approvals::ApprovalFlow& flow,
                                     const config::ProjectConfig& project,
                                     const store::DeploymentRecord& undone,
                                     const RollbackTarget& target, const std::string& who,
                                     const std::string& person, approvals::TimePoint now);

// The deployment a rollback by hand undoes: what the environment's overlay names now (its
// newest deployment with a GitOps commit that is not cancelled), if any.
Result<std::optional<store::DeploymentRecord>> rollback_subject(store::Database& db,
                                                                const std::string& project,
                                                                const std::string& environment);

}  // namespace juanie::daemon
