#pragma once

#include <chrono>
#include <functional>
#include <set>
#include <string_view>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_registry.hpp"
#include "daemon/deploy/rollback.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/store/flux_events.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "daemon/support/metrics.hpp"
#include "daemon/support/periodic_worker.hpp"
#include "pipelines/rollout.hpp"
#include "runner/commit_graph.hpp"
#include "runner/gitops_writer.hpp"

namespace juanie::daemon {

struct RolloutWatchDeps {
  const config::DaemonConfig& daemon;  // limits.rollout_timeout
  const approvals::ApprovalFlow& flow;
  const notify::Notifier& notifier;
  store::Writer& writer;
  store::Reader& reader;
  const ProjectRegistry& projects;
  const Clock& clock;
  Log& log;
  const runner::GitOpsWriter& gitops;  // whose clones hold the commits Flux speaks of
  const runner::CommitGraph& graph;    // how they are compared
  // A rollback may go (`running`): the deployment loop carries it out.
  std::function<void()> on_deployments_changed;
  Metrics* metrics = nullptr;  // null in component tests that do not look at metrics
  // Several nodes sharing a store: whether this node is the one on duty (store/pg_duty.hpp)
  // now; a pass of a node off duty does nothing. Empty: always (one node).
  std::function<bool()> on_duty = {};
};

// Learns from Flux how each `deploying` deployment's rollout went. Each stored Flux event is
// matched — its Kustomization to a project's environment, its revision to the deployment
// whose GitOps commit it is or descends from (every environment's Kustomization follows the
// same branch, so Flux reports its tip: another environment's later commit carries this
// one's change) — and Flux's verdict applied to the newest such deployment: `success`, or
// `failed` with Flux's message; older ones still watched were replaced before Flux reported
// on them and end so. A deployment Flux says nothing of within limits.rollout_timeout fails
// (once every stored event of its environment was weighed). A failed one of an environment with
// `rollback: auto` is rolled back unless something newer already replaces it (a rollback's own
// failure is only reported). Every event gets an outcome in the transaction of what it changed:
//   applied            it decided a deployment's rollout
//   stale              its deployment was decided already (a repeat, a late word)
//   unknown_revision   no watched deployment of the environment is at or below its commit
//   other_environment  not a Kustomization of one of the project's environments (kind,
//                      namespace and name must all be the environment's)
//   no_verdict         progress or noise (Progressing, DependencyNotReady, …)
//   unknown_project    the project is no longer configured
// An event with a verdict waits, without an outcome, for a later pass when it cannot be
// weighed yet: its commit is not in the GitOps clone and the fetch that would bring it in (an
// operator's commit on the branch after juanie's) failed, or the clone cannot be read; or no
// watched deployment is at its commit while one of its environment is `running` (its push may be
// done and its record not yet). Later events of that environment wait behind it; other
// environments' go on. Runs at start, when the hook stores an event (wake), and every second.
class RolloutWatch {
 public:
  explicit RolloutWatch(RolloutWatchDeps deps)
      : deps_(std::move(deps)),
        started_(deps_.clock.now()),
        worker_(std::chrono::seconds(1), [this](bool) { pass(); }) {}

  void start() { worker_.start(); }
  void stop() { worker_.stop(); }
  void wake() { worker_.wake(); }

  // One pass (public so a component test drives it with no thread).
  void pass();

 private:
  struct Verdict {
    pipelines::DeploymentState state;
    std::string reason;
  };
  // Applies a verdict inside the caller's transaction; a failure of an environment that
  // rolls back by itself starts the rollback there too, so a crash cannot lose it.
  Result<std::optional<RollbackStart>> settle(store::Database& db,
                                              const config::ProjectConfig& project,
                                              const store::DeploymentRecord& d,
                                              const Verdict& verdict) const;
  void after(const store::DeploymentRecord& d, const Verdict& verdict,
             const std::optional<RollbackStart>& rollback) const;
  // The watched deployment of `environment` an event at `commit` speaks of, if any.
  Result<std::optional<store::DeploymentRecord>> subject_of(store::Database& db,
                                                            const config::ProjectConfig& project,
                                                            const std::string& environment,
                                                            const std::string& commit) const;
  // Makes sure the GitOps clone holds `commit` if the branch has it: a commit someone else
  // pushed after juanie's last push is only there after a fetch (network I/O: never called
  // inside a writer transaction). An error: the fetch failed; the event waits.
  Result<void> bring_in(const config::ProjectConfig& project, const std::string& commit) const;

  // What weighing one event came to.
  struct Decision {
    std::string outcome;                             // stored with the event
    std::optional<std::string> waits;                // set: no outcome, weighed again later; why
    std::optional<store::DeploymentRecord> decided;  // the deployment it settled
    std::optional<Verdict> verdict;
    std::optional<RollbackStart> rollback;
  };
  // Inside the caller's transaction: the event's outcome and what it changed, or why it waits.
  Result<void> weigh(store::Database& db, const store::FluxEventRecord& e,
                     const config::ProjectConfig* project, const std::optional<std::string>& env,
                     pipelines::RolloutVerdict said, Decision& decision) const;

  // A project's environment whose events wait for a later pass (in order, so a later event of
  // it waits too), and whose rollouts do not time out before they are weighed.
  using Held = std::set<std::pair<std::string, std::string>>;
  struct Weighed {
    bool failed = false;  // an event could not be acted on: the next pass tries again
    Held held;
  };
  Weighed process_events();
  void time_out(const Held& held);

  // Events told (logged) to be waiting, so each is logged once.
  std::set<std::int64_t> told_waiting_;
  RolloutWatchDeps deps_;
  // A rollout committed before the daemon started gets a whole rollout_timeout from here:
  // what Flux said while the daemon was down is lost, and a healthy rollout must not fail
  // (and be rolled back) for the daemon's own absence.
  std::chrono::system_clock::time_point started_;
  PeriodicWorker worker_;  // last: its thread stops before the members it uses go
};

}  // namespace juanie::daemon
