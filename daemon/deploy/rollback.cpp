#include "daemon/deploy/rollback.hpp"

#include "daemon/store/approvals.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/support/clock.hpp"

namespace juanie::daemon {

using pipelines::DeploymentState;

Result<std::optional<store::DeploymentRecord>> rollback_subject(store::Database& db,
                                                                const std::string& project,
                                                                const std::string& environment) {
  auto history = store::environment_history(db, project, environment, 200);
  if (!history) return std::unexpected(history.error());
  for (auto& d : *history) {
    if (d.gitops_commit &&
        (d.state == DeploymentState::kSuccess || d.state == DeploymentState::kFailed ||
         d.state == DeploymentState::kDeploying)) {
      return std::optional<store::DeploymentRecord>(std::move(d));
    }
  }
  return std::optional<store::DeploymentRecord>{};
}

Result<RollbackStart> start_rollback(store::Database& db, const approvals::ApprovalFlow& flow,
                                     const config::ProjectConfig& project,
                                     const store::DeploymentRecord& undone,
                                     const RollbackTarget& target, const std::string& who,
                                     const std::string& person, approvals::TimePoint now) {
  const std::string id = std::to_string(undone.id);
  if (undone.state == DeploymentState::kRolledBack) {
    return fail(ErrorKind::kConflict, "deployment " + id + " was rolled back already (commit " +
                                          undone.rollback_commit.value_or("?") + ")");
  }
  auto history = store::environment_history(db, undone.project, undone.environment, 200);
  if (!history) return std::unexpected(history.error());
  for (const auto& d : *history) {
    const bool open = d.state == DeploymentState::kPending ||
                      d.state == DeploymentState::kAwaitingApproval ||
                      d.state == DeploymentState::kRunning;
    if (d.rollback_of == undone.id && open) {
      return fail(ErrorKind::kConflict, "deployment " + std::to_string(d.id) +
                                            " already rolls back deployment " + id + " (" +
                                            std::string(pipelines::to_string(d.state)) + ")");
    }
  }
  // Going back to what ran before `undone` would undo a newer deployment too.
  auto newer = store::newer_commit(db, undone);
  if (!newer) return std::unexpected(newer.error());
  if (*newer) {
    return fail(ErrorKind::kConflict, "deployment " + std::to_string(**newer) + " changes " +
                                          undone.environment + " after deployment " + id +
                                          "; roll back once it has ended");
  }
  std::optional<store::DeploymentRecord> restored;
  if (target.deployment) {
    auto found = store::find_deployment(db, *target.deployment);
    if (!found) return std::unexpected(found.error());
    if (!*found || (*found)->project != undone.project ||
        (*found)->environment != undone.environment ||
        (*found)->state != DeploymentState::kSuccess || !(*found)->digest) {
      return fail(ErrorKind::kInvalid, "deployment " + std::to_string(*target.deployment) +
                                           " is not a successful deployment of " + undone.project +
                                           " to " + undone.environment);
    }
    restored = std::move(*found);
  } else {
    auto found =
        store::previous_success(db, undone.project, undone.environment, undone.id, target.tag);
    if (!found) return std::unexpected(found.error());
    if (!*found) {
      return fail(ErrorKind::kConflict, target.tag
                                            ? "no successful deployment of tag " + *target.tag +
                                                  " to " + undone.environment + " to roll back to"
                                            : "no earlier successful deployment of " +
                                                  undone.environment + " to roll back to");
    }
    restored = std::move(*found);
  }
  if (restored->id == undone.id) {
    return fail(ErrorKind::kInvalid,
                "deployment " + id + " is what " + undone.environment + " runs; pick another");
  }
  // Everything that can refuse is checked before anything is written.
  auto run = store::find_run(db, restored->run);
  if (!run) return std::unexpected(run.error());
  if (!*run) {
    return fail(ErrorKind::kConflict, "the run of deployment " + std::to_string(restored->id) +
                                          " is gone; its image cannot be deployed again");
  }
  const std::string at = rfc3339(now);
  auto rollback = store::create_rollback(db, undone, *restored, at);
  if (!rollback) return std::unexpected(rollback.error());
  if (auto ok = store::set_deployment_trigger(db, rollback->id, who, person, at); !ok) {
    return std::unexpected(ok.error());
  }
  const std::string why = "rolls back deployment " + id + " to " + restored->image + ":" +
                          restored->tag + " (deployment " + std::to_string(restored->id) + ")";
  if (auto ok = store::set_deployment_note(db, rollback->id, why); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok =
          store::append_audit(db, {at, "start_rollback", who, rollback->id, "done", why, "", ""});
      !ok) {
    return std::unexpected(ok.error());
  }
  auto current = store::find_deployment(db, rollback->id);
  if (!current) return std::unexpected(current.error());
  auto next = flow.admit_rollback(db, project, **current, now);
  if (!next) return std::unexpected(next.error());
  auto admitted = store::find_deployment(db, rollback->id);
  if (!admitted) return std::unexpected(admitted.error());
  return RollbackStart{std::move(**admitted), *next};
}

}  // namespace juanie::daemon
