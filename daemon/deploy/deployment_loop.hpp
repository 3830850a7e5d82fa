#pragma once

#include <functional>
#include <set>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/config/project_registry.hpp"
#include "daemon/deploy/deployer.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "daemon/support/periodic_worker.hpp"

namespace juanie::daemon {

struct DeploymentLoopDeps {
  const Deployer& deployer;
  const approvals::ApprovalFlow& flow;
  const notify::Notifier& notifier;
  store::Writer& writer;
  store::Reader& reader;
  const ProjectRegistry& projects;
  const Clock& clock;
  Log& log;
  // Several nodes sharing a store: whether this node is the one on duty (store/pg_duty.hpp)
  // now; a pass of a node off duty does nothing. Empty: always (one node).
  std::function<bool()> on_duty = {};
  // Whether a running deployment is being carried out by another node (the live node that
  // executed its run); empty: never.
  std::function<bool(std::int64_t deployment)> elsewhere = {};
};

// Moves deployments that wait on time or on someone else: cancels those whose approval
// deadline passed, and carries out every `running` deployment nobody in this process is
// carrying out — approved ones, ones `juanie trigger` released from another process, and ones
// a crash interrupted. Runs at start, on wake, and every second.
class DeploymentLoop {
 public:
  explicit DeploymentLoop(DeploymentLoopDeps deps)
      : deps_(deps), worker_(std::chrono::seconds(1), [this](bool first) { pass(first); }) {}

  void start() { worker_.start(); }
  void stop() { worker_.stop(); }
  void wake() { worker_.wake(); }

  // One pass, what the worker does each time (`first`: the one at start). Public so that a
  // component test drives passes itself, with no worker thread and no wait.
  void pass(bool first);

 private:
  DeploymentLoopDeps deps_;
  std::set<std::int64_t> reported_;  // stuck deployments already logged (once is enough)
  PeriodicWorker worker_;            // last: its thread stops before the members it uses go
};

}  // namespace juanie::daemon
