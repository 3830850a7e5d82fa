#include "daemon/deploy/rollout_watch.hpp"

#include "daemon/runs/git_access.hpp"
#include "daemon/store/flux_events.hpp"
#include "daemon/store/log_keys.hpp"
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

// Watched deployments of an environment below `below` were replaced before Flux reported on
// them: their image no longer runs, so no verdict will come; they end without a rollback.
Result<void> close_replaced(store::Database& db, const store::DeploymentRecord& by,
                            const std::string& now) {
  auto watched = store::deployments_in_state(db, DeploymentState::kDeploying);
  if (!watched) return std::unexpected(watched.error());
  for (const auto& d : *watched) {
    if (d.project != by.project || d.environment != by.environment || d.id >= by.id) continue;
    if (auto ok = store::set_deployment_state(
            db, d.id, DeploymentState::kFailed,
            "replaced by deployment " + std::to_string(by.id) + " before Flux reported on it",
            std::nullopt, now);
        !ok) {
      return ok;
    }
  }
  return {};
}

}  // namespace

void RolloutWatch::pass() {
  if (deps_.on_duty && !deps_.on_duty()) return;
  // A rollout times out only once every word Flux sent about it has been weighed.
  auto weighed = process_events();
  if (!weighed.failed) time_out(weighed.held);
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
  if (auto ok = close_replaced(db, d, rfc3339(now)); !ok) return std::unexpected(ok.error());
  const auto* env = project.environment(d.environment);
  if (verdict.state != DeploymentState::kFailed || d.rollback_of || !env ||
      env->rollback != pipelines::Rollback::kAuto) {
    return std::optional<RollbackStart>{};
  }
  auto current = store::find_deployment(db, d.id);
  if (!current) return std::unexpected(current.error());
  // Whatever refuses the rollback leaves the failure as it is, with the reason: the attempt's
  // own writes are undone.
  if (auto ok = db.exec("SAVEPOINT rollback"); !ok) return std::unexpected(ok.error());
  auto started =
      start_rollback(db, deps_.flow, project, **current, {}, "juanie (automatic)", "", now);
  if (started) {
    if (auto ok = db.exec("RELEASE rollback"); !ok) return std::unexpected(ok.error());
    return std::optional<RollbackStart>(std::move(*started));
  }
  if (auto ok = db.exec("ROLLBACK TO rollback; RELEASE rollback"); !ok) {
    return std::unexpected(ok.error());
  }
  if (started.error().kind == ErrorKind::kUnavailable) return std::unexpected(started.error());
  if (auto ok = store::set_deployment_note(
          db, d.id, verdict.reason + "; not rolled back: " + started.error().message);
      !ok) {
    return std::unexpected(ok.error());
  }
  return std::optional<RollbackStart>{};
}

void RolloutWatch::after(const store::DeploymentRecord& d, const Verdict& verdict,
                         const std::optional<RollbackStart>& rollback) const {
  const std::string id = std::to_string(d.id);
  const bool healthy = verdict.state == DeploymentState::kSuccess;
  if (deps_.metrics) {
    deps_.metrics->rollout(d.environment, healthy ? "success" : "failed",
                           seconds_between(d.committed_at, deps_.clock.now()));
  }
  if (healthy) {
    deps_.log.info(store::keys_of(d), "deployment " + id + " rolled out: " + verdict.reason);
  } else {
    deps_.log.warn(store::keys_of(d),
                   "deployment " + id + " failed to roll out: " + verdict.reason +
                       (d.rollback_of ? " (a rollback: not rolled back again)" : ""));
  }
  deps_.notifier.wake();
  if (!rollback) return;
  if (deps_.metrics) deps_.metrics->rollback(d.environment, "auto");
  const auto& r = rollback->deployment;
  deps_.log.info(store::keys_of(r),
                 "deployment " + std::to_string(r.id) + " " + r.reason.value_or("") +
                     (rollback->next == approvals::Next::kCarryOut ? "" : "; waits for approval"));
  // The deployment loop carries it out (it is `running`), off this thread.
  if (deps_.on_deployments_changed) deps_.on_deployments_changed();
}

Result<std::optional<store::DeploymentRecord>> RolloutWatch::subject_of(
    store::Database& db, const config::ProjectConfig& project, const std::string& environment,
    const std::string& commit) const {
  auto exact = store::deployment_with_commit(db, project.name, environment, commit);
  if (!exact) return std::unexpected(exact.error());
  if (*exact && (*exact)->state == DeploymentState::kDeploying) return exact;
  // Flux reports the branch's tip: the newest watched deployment whose commit it contains.
  auto watched = store::deployments_in_state(db, DeploymentState::kDeploying);
  if (!watched) return std::unexpected(watched.error());
  std::erase_if(*watched, [&](const store::DeploymentRecord& d) {
    return d.project != project.name || d.environment != environment || !d.gitops_commit;
  });
  if (watched->empty()) return exact;  // decided already (stale), or nothing (unknown)
  const auto clone = deps_.gitops.clone_of(project.gitops_url, project.gitops_branch);
  // Fetched before (bring_in): a commit still missing is not on the branch, so none of ours
  // is below it.
  auto known = runner::has_commit(clone, commit);
  if (!known) return std::unexpected(known.error());
  if (!*known) return exact;
  for (auto it = watched->rbegin(); it != watched->rend(); ++it) {
    // One pushed to another repository (gitops.url changed since) is below nothing here.
    auto own = runner::has_commit(clone, *it->gitops_commit);
    if (!own) return std::unexpected(own.error());
    if (!*own) continue;
    auto below = deps_.graph.is_strict_ancestor(clone, *it->gitops_commit, commit);
    if (!below) return std::unexpected(below.error());
    if (*below) return std::optional<store::DeploymentRecord>(*it);
  }
  return exact;
}

Result<void> RolloutWatch::bring_in(const config::ProjectConfig& project,
                                    const std::string& commit) const {
  if (project.gitops_url.empty()) return {};  // nothing was ever pushed: nothing to compare
  const auto clone = deps_.gitops.clone_of(project.gitops_url, project.gitops_branch);
  if (auto known = runner::has_commit(clone, commit); known && *known) return {};
  // The writer's credentials, read now as it reads them (a rotated token is used at once).
  auto credentials = read_git_credentials(deps_.daemon.secrets_dir, project.gitops_access);
  if (!credentials) return std::unexpected(credentials.error());
  return deps_.gitops.refresh({project.gitops_url, project.gitops_branch, *credentials});
}

Result<void> RolloutWatch::weigh(store::Database& db, const store::FluxEventRecord& e,
                                 const config::ProjectConfig* project,
                                 const std::optional<std::string>& env,
                                 pipelines::RolloutVerdict said, Decision& decision) const {
  decision = Decision{};
  decision.outcome = "applied";
  if (!project) {
    decision.outcome = "unknown_project";
  } else if (!env) {
    decision.outcome = "other_environment";
  } else if (said == pipelines::RolloutVerdict::kNone) {
    decision.outcome = "no_verdict";
  } else if (!e.event.commit) {
    decision.outcome = "unknown_revision";
  } else {
    auto d = subject_of(db, *project, *env, *e.event.commit);
    if (!d) {
      // Not decided on a guess, and not in the way of other environments' events.
      decision.waits = "cannot match it to a deployment yet: " + d.error().message;
      return {};
    }
    if (!*d || (*d)->gitops_commit != e.event.commit ||
        (*d)->state != DeploymentState::kDeploying) {
      // A deployment being written may have pushed this very commit and not recorded it yet:
      // weighed now, its news would go to an older deployment, or nowhere.
      auto writing = store::running_deployments(db);
      if (!writing) return std::unexpected(writing.error());
      for (const auto& w : *writing) {
        if (w.project == project->name && w.environment == *env) {
          decision.waits =
              "deployment " + std::to_string(w.id) + " of " + *env + " is being written";
          return {};
        }
      }
    }
    if (!*d) {
      decision.outcome = "unknown_revision";
    } else if ((*d)->state != DeploymentState::kDeploying) {
      decision.outcome = "stale";
    } else {
      const bool healthy = said == pipelines::RolloutVerdict::kHealthy;
      decision.verdict = Verdict{
          healthy ? DeploymentState::kSuccess : DeploymentState::kFailed,
          "Flux: " + e.event.reason + (e.event.message.empty() ? "" : ": " + e.event.message)};
      auto settled = settle(db, *project, **d, *decision.verdict);
      if (!settled) return std::unexpected(settled.error());
      decision.rollback = std::move(*settled);
      decision.decided = std::move(**d);
    }
  }
  return store::set_flux_event_outcome(db, e.id, decision.outcome, rfc3339(deps_.clock.now()));
}

RolloutWatch::Weighed RolloutWatch::process_events() {
  Weighed weighed;
  const auto projects = deps_.projects.get();
  std::int64_t from = 0;  // the last event seen: waiting ones are paged past
  for (;;) {
    auto events = deps_.reader.with([from](store::Database& db) {
      return store::unprocessed_flux_events(db, kEventsPerPass, from);
    });
    if (!events) {
      deps_.log.error("cannot read Flux events: " + events.error().message);
      weighed.failed = true;
      return weighed;
    }
    for (const auto& e : *events) {
      from = e.id;
      const auto it = projects->find(e.project);
      const config::ProjectConfig* project = it == projects->end() ? nullptr : &it->second->config;
      const auto env = project && e.event.kind == "Kustomization"
                           ? project->environment_of_kustomization(e.event.namespace_, e.event.name)
                           : std::nullopt;
      const auto said = pipelines::rollout_verdict(e.event.reason, e.event.severity);
      const bool weighs = env && said != pipelines::RolloutVerdict::kNone && e.event.commit;
      std::optional<std::string> waits;  // why it is left for a later pass
      if (weighs && weighed.held.contains({e.project, *env})) {
        waits = "an earlier event of " + *env + " waits";
      } else if (weighs) {
        if (auto in = bring_in(*project, *e.event.commit); !in) {
          waits = "cannot fetch " + project->gitops_url + " to find commit " +
                  e.event.commit->substr(0, 12) + ": " + in.error().message;
        }
      }
      Decision decision;
      decision.waits = std::move(waits);
      auto ok = decision.waits ? Result<void>{}
                               : store::write_and_wait(deps_.writer, [&](store::Database& db) {
                                   return weigh(db, e, project, env, said, decision);
                                 });
      if (!ok) {
        deps_.log.error({.project = e.project}, "Flux event " + std::to_string(e.id) +
                                                    " not acted on yet: " + ok.error().message);
        weighed.failed = true;
        return weighed;  // the next pass tries again, in order
      }
      if (decision.waits) {
        weighed.held.insert({e.project, *env});
        if (told_waiting_.insert(e.id).second) {
          deps_.log.info({.project = e.project}, "Flux event " + std::to_string(e.id) + " (" +
                                                     e.event.name + " " + e.event.reason +
                                                     ") waits: " + *decision.waits);
        }
        continue;
      }
      told_waiting_.erase(e.id);
      if (deps_.metrics) deps_.metrics->flux_event(decision.outcome);
      if (decision.outcome != "applied") {
        deps_.log.info({.project = e.project}, "Flux event " + std::to_string(e.id) + " (" +
                                                   e.event.name + " " + e.event.reason +
                                                   ") changed nothing: " + decision.outcome);
        continue;
      }
      after(*decision.decided, *decision.verdict, decision.rollback);
    }
    if (static_cast<int>(events->size()) < kEventsPerPass) return weighed;
  }
}

void RolloutWatch::time_out(const Held& held) {
  const auto now = deps_.clock.now();
  if (now - deps_.daemon.limits.rollout_timeout < started_) return;
  const auto deadline = rfc3339(now - deps_.daemon.limits.rollout_timeout);
  auto waiting = deps_.reader.with([](store::Database& db) {
    return store::deployments_in_state(db, DeploymentState::kDeploying);
  });
  if (!waiting) return deps_.log.error("cannot list rollouts: " + waiting.error().message);
  const auto projects = deps_.projects.get();
  const auto limit =
      std::chrono::duration_cast<std::chrono::seconds>(deps_.daemon.limits.rollout_timeout);
  for (const auto& d : *waiting) {
    if (!d.committed_at || *d.committed_at > deadline) continue;
    if (held.contains({d.project, d.environment})) continue;  // Flux's word on it may wait
    const auto it = projects->find(d.project);
    const config::ProjectConfig* project = it == projects->end() ? nullptr : &it->second->config;
    std::optional<Verdict> verdict;
    std::optional<RollbackStart> rollback;
    auto ok = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
      verdict.reset();
      rollback.reset();
      auto current = store::find_deployment(db, d.id);
      if (!current) return std::unexpected(current.error());
      // Flux may have answered between the list and now.
      if (!*current || (*current)->state != DeploymentState::kDeploying) return {};
      const std::string at = rfc3339(now);
      if (!project || !project->flux_hmac_key) {
        // Nobody will hear from Flux for it any more: it ends without a rollback.
        return store::set_deployment_state(
            db, d.id, project ? DeploymentState::kSuccess : DeploymentState::kFailed,
            project ? "committed; rollout no longer observed (flux.hmac_key removed)"
                    : "its project is no longer configured",
            std::nullopt, at);
      }
      auto newer = store::newer_commit(db, **current);
      if (!newer) return std::unexpected(newer.error());
      verdict = Verdict{
          DeploymentState::kFailed,
          *newer
              ? "replaced by deployment " + std::to_string(**newer) + " before Flux reported on it"
              : "no word from Flux on commit " + d.gitops_commit.value_or("?") + " within " +
                    std::to_string(limit.count()) + "s (limits.rollout_timeout)"};
      auto settled = settle(db, *project, **current, *verdict);
      if (!settled) return std::unexpected(settled.error());
      rollback = std::move(*settled);
      return {};
    });
    if (!ok) {
      deps_.log.error(store::keys_of(d),
                      "deployment " + std::to_string(d.id) +
                          ": cannot time its rollout out: " + ok.error().message);
      continue;
    }
    if (verdict) after(d, *verdict, rollback);
  }
}

}  // namespace juanie::daemon
