#include "daemon/deployer.hpp"

#include "daemon/git_access.hpp"
#include "daemon/gitops_change.hpp"
#include "runner/commit_graph.hpp"

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
  if (!ok) deps_.log.error("deployment " + std::to_string(id) + ": " + ok.error().message);
  deps_.notifier.wake();
}

std::optional<std::string> Deployer::backwards(const store::RunRecord& run,
                                               const config::ProjectConfig& project) const {
  // A run a person started by hand (juanie trigger, the API) is their decision: a rollback.
  if (run.trigger == "manual" || !run.environment) return std::nullopt;
  std::optional<std::string> current;
  auto read = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
    auto sha = store::deployed_commit(db, run.project, *run.environment);
    if (!sha) return std::unexpected(sha.error());
    current = *sha;
    return {};
  });
  if (!read) {
    // Unknown is treated as backwards: a person decides rather than a guess.
    return "cannot read what " + *run.environment + " runs now: " + read.error().message;
  }
  if (!current || *current == run.sha) return std::nullopt;
  auto older = runner::is_strict_ancestor(deps_.mirrors.path_for(project.repo_url), run.sha,
                                          *current);
  if (!older) return "cannot compare with what " + *run.environment + " runs now: " + older.error().message;
  if (!*older) return std::nullopt;
  return "commit " + run.sha.substr(0, 12) + " is older than " + current->substr(0, 12) + ", which " +
         *run.environment + " runs now; an old push does not move an environment back by itself "
         "(trigger it to roll back on purpose)";
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
  const auto hold = backwards(run, project);
  const auto now = deps_.clock.now();
  Result<store::DeploymentRecord> created = fail("not recorded");
  approvals::Next next = approvals::Next::kWait;
  auto written = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
    created = store::create_deployment(db, wanted, rfc3339(now));
    if (!created) return std::unexpected(created.error());
    if (created->state != "pending") return {};  // recorded before: admitted then
    // Held back, it is not admitted: it neither goes nor supersedes (cancels) what waits; it
    // stays pending until a person triggers it.
    if (hold) return store::set_deployment_note(db, created->id, *hold);
    auto admitted = deps_.flow.admit(db, project, run, *created, now);
    if (!admitted) return std::unexpected(admitted.error());
    next = *admitted;
    return {};
  });
  if (!written && created) created = std::unexpected(written.error());
  if (!created) {
    deps_.log.error("run " + std::to_string(run.id) + ": cannot record its deployment: " +
                    created.error().message);
    return;
  }
  deps_.notifier.wake();
  const std::string id = std::to_string(created->id);
  deps_.log.info("deployment " + id + " of " + image + ":" + tag + " to " + created->environment +
                 " recorded");
  if (next == approvals::Next::kCarryOut) return carry_out(*created, run, project);
  const bool untriggered = hold.has_value() || (run.deploy_trigger == "manual" && run.trigger != "manual");
  deps_.log.info("deployment " + id +
                 (untriggered ? " waits for a manual trigger" : " waits for approval") +
                 (hold ? ": " + *hold : ""));
}

void Deployer::carry_out(const store::DeploymentRecord& d, const store::RunRecord& run,
                         const config::ProjectConfig& project) const {
  if (!claim(d.id)) return;
  // Only what may go becomes running: an ended deployment (say, one a racing pass already
  // finished) refuses the transition, and nothing is written.
  auto started = store::write_and_wait(deps_.writer, [&, at = rfc3339(deps_.clock.now())](store::Database& db) {
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
    deps_.log.warn("deployment " + id + " failed: " + reason);
    record(d.id, project, DeploymentState::kFailed, reason, std::nullopt);
  };
  if (project.gitops_url.empty()) return failed("the project has no gitops repository");
  auto credentials = read_git_credentials(deps_.daemon.secrets_dir, project.gitops_access);
  if (!credentials) return failed(credentials.error().message);
  auto change = gitops_change_for(project, d, run);
  if (!change) return failed(change.error().message);
  auto outcome = deps_.gitops.apply({project.gitops_url, project.gitops_branch, *credentials}, *change);
  if (!outcome) return failed(outcome.error().message);
  deps_.log.info("deployment " + id + " " +
                 (outcome->committed ? "committed " + outcome->commit.substr(0, 12) + " to "
                                     : "found the tag already in ") +
                 project.gitops_url + " " + change->path);
  record(d.id, project, DeploymentState::kSuccess,
         outcome->committed ? std::nullopt
                            : std::optional<std::string>("the overlay already had this image"),
         outcome->commit);
}

}  // namespace juanie::daemon
