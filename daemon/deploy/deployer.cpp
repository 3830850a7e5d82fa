#include "daemon/deploy/deployer.hpp"

#include "daemon/deploy/gitops_change.hpp"
#include "daemon/runs/git_access.hpp"
#include "daemon/store/log_keys.hpp"

namespace juanie::daemon {

using pipelines::DeploymentState;

bool Deployer::claim(std::int64_t id) const {
  std::lock_guard lock(mutex_);
  return in_flight_.insert(id).second;
}

bool Deployer::in_flight(std::int64_t id) const {
  std::lock_guard lock(mutex_);
  return in_flight_.contains(id);
}

void Deployer::release(std::int64_t id) const {
  std::lock_guard lock(mutex_);
  in_flight_.erase(id);
}

void Deployer::record(std::int64_t id, const config::ProjectConfig& project, DeploymentState to,
                      const std::optional<std::string>& reason,
                      const std::optional<std::string>& commit) const {
  const auto now = deps_.clock.now();
  auto ok = store::write_and_wait(deps_.writer, [&](store::Database& db) {
    return deps_.flow.finish(db, project, id, to, reason, commit, now);
  });
  if (!ok) {
    deps_.log.error({.deployment = id, .project = project.name},
                    "deployment " + std::to_string(id) + ": " + ok.error().message);
  }
  deps_.notifier.wake();
}

namespace {

// A run a person started (juanie trigger, a retry through the API) is their decision.
bool compared_with_environment(const store::RunRecord& run) {
  return run.trigger != "manual" && run.trigger != "retry" && run.environment;
}

}  // namespace

std::optional<std::string> Deployer::backwards(
    const store::RunRecord& run, const config::ProjectConfig& project,
    const std::vector<store::EnvironmentCommit>& others) const {
  if (!compared_with_environment(run)) return std::nullopt;
  const std::string& env = *run.environment;
  const auto repo = deps_.mirrors.path_for(project.repo_url);
  // A commit a force-push took off its branch is not deployed by a replay of its old push.
  if (auto tip = deps_.mirrors.resolve(project.repo_url, run.ref); tip && *tip != run.sha) {
    auto on_branch = deps_.graph.is_strict_ancestor(repo, run.sha, *tip);
    if (!on_branch) {
      return "cannot tell whether commit " + run.sha.substr(0, 12) + " is still on " + run.ref +
             ": " + on_branch.error().message;
    }
    if (!*on_branch) {
      return "commit " + run.sha.substr(0, 12) + " is no longer on " + run.ref + " (now " +
             tip->substr(0, 12) +
             "); a push that is not the branch's history does not deploy "
             "by itself";
    }
  }
  for (const auto& other : others) {
    const std::string which = other.state == pipelines::DeploymentState::kSuccess
                                  ? "which " + env + " runs now"
                                  : "which deployment " + std::to_string(other.deployment) + " (" +
                                        std::string(pipelines::to_string(other.state)) +
                                        ") brings to " + env;
    if (other.sha == run.sha) {
      // The same commit again is nothing new: it neither goes twice nor cancels what waits.
      if (other.state == pipelines::DeploymentState::kSuccess) continue;
      return "commit " + run.sha.substr(0, 12) + " is already " + which;
    }
    auto older = deps_.graph.is_strict_ancestor(repo, run.sha, other.sha);
    if (!older) return "cannot compare with " + which + ": " + older.error().message;
    if (*older) {
      return "commit " + run.sha.substr(0, 12) + " is older than " + other.sha.substr(0, 12) +
             ", " + which +
             "; an old push does not move an environment back by itself (trigger "
             "it to roll back on purpose)";
    }
  }
  return std::nullopt;
}

void Deployer::deliver(const store::RunRecord& run, const config::ProjectConfig& project,
                       const std::string& image, const std::string& tag,
                       const std::string& digest) const {
  store::DeploymentRecord wanted;
  wanted.run = run.id;
  wanted.project = run.project;
  wanted.environment = *run.environment;
  wanted.image = image;
  wanted.tag = tag;
  wanted.digest = digest;
  const auto now = deps_.clock.now();
  Result<store::DeploymentRecord> created = fail("not recorded");
  approvals::Next next = approvals::Next::kWait;
  std::optional<std::string> hold;
  Result<void> written;
  // The check compares commits in the mirror, outside the writer; the record is made only if
  // what the environment runs is still what was compared with (else the check runs again, and
  // after a few changes in a row a person decides).
  constexpr int kChecks = 3;
  for (int check = 1; check <= kChecks; ++check) {
    std::vector<store::EnvironmentCommit> compared;
    // A person's trigger is not compared: nothing to read, nothing to hold it for.
    const bool compare = compared_with_environment(run);
    auto read = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
      if (!compare) return {};
      auto found = store::environment_commits(db, run.project, *run.environment, run.id);
      if (!found) return std::unexpected(found.error());
      compared = std::move(*found);
      return {};
    });
    // Unknown is treated as backwards: a person decides rather than a guess.
    hold = read ? backwards(run, project, compared)
                : "cannot read what " + *run.environment + " runs now: " + read.error().message;
    bool changed = false;
    written = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
      created = fail("not recorded");
      next = approvals::Next::kWait;
      changed = false;
      if (read && !hold && compare) {
        auto current = store::environment_commits(db, run.project, *run.environment, run.id);
        if (!current) return std::unexpected(current.error());
        if (*current != compared) {
          if (check < kChecks) {
            changed = true;
            return {};
          }
          hold = "what " + *run.environment + " runs changed while this deployment was checked";
        }
      }
      created = store::create_deployment(db, wanted, rfc3339(now));
      if (!created) return std::unexpected(created.error());
      if (created->state != pipelines::DeploymentState::kPending)
        return {};  // recorded before: admitted then
      // Held back, it is not admitted: it neither goes nor supersedes (cancels) what waits; it
      // stays pending until a person triggers it.
      if (hold) return store::set_deployment_note(db, created->id, *hold);
      auto admitted = deps_.flow.admit(db, project, run, *created, now);
      if (!admitted) return std::unexpected(admitted.error());
      next = *admitted;
      return {};
    });
    if (!changed) break;
  }
  if (!written && created) created = std::unexpected(written.error());
  if (!created) {
    deps_.log.error(store::keys_of(run),
                    "run " + std::to_string(run.id) +
                        ": cannot record its deployment: " + created.error().message);
    return;
  }
  deps_.notifier.wake();
  const std::string id = std::to_string(created->id);
  deps_.log.info(store::keys_of(*created), "deployment " + id + " of " + image + ":" + tag +
                                               " to " + created->environment + " recorded");
  if (next == approvals::Next::kCarryOut) return carry_out(*created, run, project);
  const bool untriggered =
      hold.has_value() || (run.deploy_trigger == "manual" && run.trigger != "manual");
  deps_.log.info(store::keys_of(*created),
                 "deployment " + id +
                     (untriggered ? " waits for a manual trigger" : " waits for approval") +
                     (hold ? ": " + *hold : ""));
}

void Deployer::carry_out(const store::DeploymentRecord& d, const store::RunRecord& run,
                         const config::ProjectConfig& project) const {
  if (!claim(d.id)) return;
  // Only what may go becomes running: an ended deployment (say, one a racing pass already
  // finished) refuses the transition, and nothing is written.
  auto started = store::write_and_wait(
      deps_.writer, [&, at = rfc3339(deps_.clock.now())](store::Database& db) {
        return store::set_deployment_state(db, d.id, DeploymentState::kRunning, std::nullopt,
                                           std::nullopt, at);
      });
  if (started) write(d, run, project);
  release(d.id);
}

void Deployer::write(const store::DeploymentRecord& d, const store::RunRecord& run,
                     const config::ProjectConfig& project) const {
  const std::string id = std::to_string(d.id);
  auto failed = [&](const std::string& reason) {
    deps_.log.warn(store::keys_of(d), "deployment " + id + " failed: " + reason);
    record(d.id, project, DeploymentState::kFailed, reason, std::nullopt);
  };
  if (project.gitops_url.empty()) return failed("the project has no gitops repository");
  auto credentials = read_git_credentials(deps_.daemon.secrets_dir, project.gitops_access);
  if (!credentials) return failed(credentials.error().message);
  if (d.rollback_of) {
    // A rollback waits (for approval, for its turn): whatever changed the environment after
    // the deployment it undoes since then must not be undone by it.
    std::optional<std::int64_t> newer;
    auto read = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
      auto undone = store::find_deployment(db, *d.rollback_of);
      if (!undone) return std::unexpected(undone.error());
      if (!*undone) return {};
      auto found = store::newer_commit(db, **undone, d.id);
      if (!found) return std::unexpected(found.error());
      newer = *found;
      return {};
    });
    if (!read) return failed(read.error().message);
    if (newer) {
      return failed("deployment " + std::to_string(*newer) + " changed " + d.environment +
                    " after deployment " + std::to_string(*d.rollback_of) +
                    "; this rollback would undo it");
    }
  }
  auto change = gitops_change_for(project, d, run);
  if (!change) return failed(change.error().message);
  auto outcome =
      deps_.gitops.apply({project.gitops_url, project.gitops_branch, *credentials}, *change);
  if (!outcome) return failed(outcome.error().message);
  deps_.log.info(store::keys_of(d),
                 "deployment " + id + " " +
                     (outcome->committed ? "committed " + outcome->commit.substr(0, 12) + " to "
                                         : "found the tag already in ") +
                     project.gitops_url + " " + change->path);
  // With Flux feedback the rollout is watched (RolloutWatch) until Flux says how it went —
  // also when the overlay already had the image (a write a crash interrupted after its push,
  // a redeploy): Flux's word on the tip decides it, never the write alone.
  if (project.flux_hmac_key) {
    return record(d.id, project, DeploymentState::kDeploying,
                  outcome->committed ? std::nullopt
                                     : std::optional<std::string>("the overlay already had this "
                                                                  "image"),
                  outcome->commit);
  }
  if (!outcome->committed) {
    return record(d.id, project, DeploymentState::kSuccess, "the overlay already had this image",
                  outcome->commit);
  }
  record(d.id, project, DeploymentState::kSuccess, "committed; rollout not observed",
         outcome->commit);
}

}  // namespace juanie::daemon
