#include "daemon/deploy/rollout_watch.hpp"

#include "daemon/store/flux_events.hpp"
#include "pipelines/rollout.hpp"

namespace juanie::daemon {

using pipelines::DeploymentState;

namespace {

constexpr int kEventsPerPass = 100;

double seconds_between(const std::optional<std::string>& from,
                       std::chrono::system_clock::time_point to) {
  if (!from) return 0;
  auto start = parse_rfc3339(*from);
  if (!start) return 0;
  return std::chrono::duration<double>(to - *start).count();
}

}  // namespace

void RolloutWatch::pass() {
  process_events();
  time_out();
}

Result<std::optional<RollbackStart>> RolloutWatch::settle(store::Database& db,
                                                          const config::ProjectConfig& project,
                                                          const store::DeploymentRecord& d,
                                                          const Verdict& verdict) const {
  const auto now = deps_.clock.now();
  if (auto ok =
          deps_.flow.finish(db, project, d.id, verdict.state, verdict.reason, std::nullopt, now);
      !ok) {
    return std::unexpected(ok.error());
  }
  const auto* env = project.environment(d.environment);
  if (verdict.state != DeploymentState::kFailed || d.rollback_of || !env ||
      env->rollback != pipelines::Rollback::kAuto) {
    return std::optional<RollbackStart>{};
  }
  // A newer deployment already replaced this one's image: going back would undo that too.
  auto newer = store::newer_commit(db, d);
  if (!newer) return std::unexpected(newer.error());
  if (*newer) {
    if (auto ok = store::set_deployment_note(db, d.id,
                                             verdict.reason + "; not rolled back: deployment " +
                                                 std::to_string(**newer) + " replaced it since");
        !ok) {
      return std::unexpected(ok.error());
    }
    return std::optional<RollbackStart>{};
  }
  auto current = store::find_deployment(db, d.id);
  if (!current) return std::unexpected(current.error());
  auto started = start_rollback(db, deps_.flow, project, **current, {}, "juanie (automatic)", now);
  if (started) return std::optional<RollbackStart>(std::move(*started));
  if (started.error().kind == ErrorKind::kUnavailable ||
      started.error().kind == ErrorKind::kFailed) {
    return std::unexpected(started.error());
  }
  // Nothing earlier to restore: the failure stands, and says why it was not undone.
  if (auto ok = store::set_deployment_note(
          db, d.id, verdict.reason + "; not rolled back: " + started.error().message);
      !ok) {
    return std::unexpected(ok.error());
  }
  return std::optional<RollbackStart>{};
}

void RolloutWatch::after(const config::ProjectConfig& project, const store::DeploymentRecord& d,
                         const Verdict& verdict,
                         const std::optional<RollbackStart>& rollback) const {
  const std::string id = std::to_string(d.id);
  const bool healthy = verdict.state == DeploymentState::kSuccess;
  if (deps_.metrics) {
    deps_.metrics->rollout(d.environment, healthy ? "success" : "failed",
                           seconds_between(d.committed_at, deps_.clock.now()));
  }
  if (healthy) {
    deps_.log.info("deployment " + id + " rolled out: " + verdict.reason);
  } else {
    deps_.log.warn("deployment " + id + " failed to roll out: " + verdict.reason +
                   (d.rollback_of ? " (a rollback: not rolled back again)" : ""));
  }
  deps_.notifier.wake();
  if (!rollback) return;
  if (deps_.metrics) deps_.metrics->rollback(d.environment, "auto");
  const auto& r = rollback->deployment;
  deps_.log.info("deployment " + std::to_string(r.id) + " " + r.reason.value_or("") +
                 (rollback->next == approvals::Next::kCarryOut ? "" : "; waits for approval"));
  if (rollback->next != approvals::Next::kCarryOut) return;
  auto run = deps_.reader.with([&](store::Database& db) { return store::find_run(db, r.run); });
  if (run && *run) deps_.deployer.carry_out(r, **run, project);
}

void RolloutWatch::process_events() {
  auto events = deps_.reader.with(
      [](store::Database& db) { return store::unprocessed_flux_events(db, kEventsPerPass); });
  if (!events) return deps_.log.error("cannot read Flux events: " + events.error().message);
  const auto projects = deps_.projects.get();
  for (const auto& e : *events) {
    const auto it = projects->find(e.project);
    const config::ProjectConfig* project = it == projects->end() ? nullptr : &it->second->config;
    std::string outcome;
    std::optional<store::DeploymentRecord> decided;
    std::optional<Verdict> verdict;
    std::optional<RollbackStart> rollback;
    auto ok = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
      decided.reset();
      verdict.reset();
      rollback.reset();
      outcome = "applied";
      const auto env = project && e.event.kind == "Kustomization"
                           ? project->environment_of_kustomization(e.event.name)
                           : std::nullopt;
      const auto said = pipelines::rollout_verdict(e.event.reason, e.event.severity);
      if (!project) {
        outcome = "unknown_project";
      } else if (!env) {
        outcome = "other_environment";
      } else if (said == pipelines::RolloutVerdict::kNone) {
        outcome = "no_verdict";
      } else if (!e.event.commit) {
        outcome = "unknown_revision";
      } else {
        auto d = store::deployment_with_commit(db, e.project, *env, *e.event.commit);
        if (!d) return std::unexpected(d.error());
        if (!*d) {
          outcome = "unknown_revision";
        } else if ((*d)->state != DeploymentState::kDeploying) {
          outcome = "stale";
        } else {
          const bool healthy = said == pipelines::RolloutVerdict::kHealthy;
          verdict = Verdict{
              healthy ? DeploymentState::kSuccess : DeploymentState::kFailed,
              "Flux: " + e.event.reason + (e.event.message.empty() ? "" : ": " + e.event.message)};
          auto settled = settle(db, *project, **d, *verdict);
          if (!settled) return std::unexpected(settled.error());
          rollback = std::move(*settled);
          decided = std::move(**d);
        }
      }
      return store::set_flux_event_outcome(db, e.id, outcome, rfc3339(deps_.clock.now()));
    });
    if (!ok) {
      deps_.log.error("Flux event " + std::to_string(e.id) +
                      " not acted on yet: " + ok.error().message);
      return;  // the next pass tries again, in order
    }
    if (deps_.metrics) deps_.metrics->flux_event(outcome);
    if (outcome != "applied") {
      deps_.log.info("Flux event " + std::to_string(e.id) + " (" + e.event.name + " " +
                     e.event.reason + ") changed nothing: " + outcome);
      continue;
    }
    after(*project, *decided, *verdict, rollback);
  }
}

void RolloutWatch::time_out() {
  const auto now = deps_.clock.now();
  const auto deadline = rfc3339(now - deps_.daemon.limits.rollout_timeout);
  auto waiting = deps_.reader.with([](store::Database& db) {
    return store::deployments_in_state(db, DeploymentState::kDeploying);
  });
  if (!waiting) return deps_.log.error("cannot list rollouts: " + waiting.error().message);
  const auto projects = deps_.projects.get();
  for (const auto& d : *waiting) {
    if (!d.committed_at || *d.committed_at > deadline) continue;
    const auto it = projects->find(d.project);
    if (it == projects->end()) continue;
    const auto& project = it->second->config;
    const auto limit =
        std::chrono::duration_cast<std::chrono::seconds>(deps_.daemon.limits.rollout_timeout);
    const Verdict verdict{DeploymentState::kFailed, "no word from Flux on commit " +
                                                        d.gitops_commit.value_or("?") + " within " +
                                                        std::to_string(limit.count()) +
                                                        "s (limits.rollout_timeout)"};
    std::optional<RollbackStart> rollback;
    bool timed_out = false;
    auto ok = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
      rollback.reset();
      timed_out = false;
      auto current = store::find_deployment(db, d.id);
      if (!current) return std::unexpected(current.error());
      // Flux may have answered between the list and now.
      if (!*current || (*current)->state != DeploymentState::kDeploying) return {};
      auto settled = settle(db, project, **current, verdict);
      if (!settled) return std::unexpected(settled.error());
      rollback = std::move(*settled);
      timed_out = true;
      return {};
    });
    if (!ok) {
      deps_.log.error("deployment " + std::to_string(d.id) +
                      ": cannot time its rollout out: " + ok.error().message);
      continue;
    }
    if (timed_out) after(project, d, verdict, rollback);
  }
}

}  // namespace juanie::daemon
