#pragma once

#include <chrono>
#include <string_view>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_registry.hpp"
#include "daemon/deploy/deployer.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "daemon/support/metrics.hpp"
#include "daemon/support/periodic_worker.hpp"

namespace juanie::daemon {

struct RolloutWatchDeps {
  const config::DaemonConfig& daemon;  // limits.rollout_timeout
  const Deployer& deployer;
  const approvals::ApprovalFlow& flow;
  const notify::Notifier& notifier;
  store::Writer& writer;
  store::Reader& reader;
  const ProjectRegistry& projects;
  const Clock& clock;
  Log& log;
  Metrics* metrics = nullptr;  // null in component tests that do not look at metrics
};

// Learns from Flux how each `deploying` deployment's rollout went. Each stored Flux event is
// matched — its Kustomization to a project's environment, its revision to the deployment whose
// GitOps commit it names — and Flux's verdict applied: `success`, or `failed` with Flux's
// message; a deployment Flux says nothing of within limits.rollout_timeout fails too. A failed
// one of an environment with `rollback: auto` is rolled back (a rollback's own failure is only
// reported). Every event gets an outcome in the same transaction as what it changed:
//   applied            it decided a deployment's rollout
//   stale              its deployment was decided already (a repeat, a late word)
//   unknown_revision   no deployment of the environment has the commit (or none is named)
//   other_environment  not a Kustomization of one of the project's environments
//   no_verdict         progress or noise (Progressing, DependencyNotReady, …)
//   unknown_project    the project is no longer configured
// Runs at start, when the hook stores an event (wake), and every second.
class RolloutWatch {
 public:
  explicit RolloutWatch(RolloutWatchDeps deps)
      : deps_(deps), worker_(std::chrono::seconds(1), [this](bool) { pass(); }) {}

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
  void after(const config::ProjectConfig& project, const store::DeploymentRecord& d,
             const Verdict& verdict, const std::optional<RollbackStart>& rollback) const;
  void process_events();
  void time_out();

  RolloutWatchDeps deps_;
  PeriodicWorker worker_;  // last: its thread stops before the members it uses go
};

}  // namespace juanie::daemon
