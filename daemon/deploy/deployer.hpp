#pragma once

#include <mutex>
#include <set>
#include <string>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_config.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "runner/commit_graph.hpp"
#include "runner/git_mirror.hpp"
#include "runner/gitops_writer.hpp"

namespace juanie::daemon {

struct DeployerDeps {
  const config::DaemonConfig& daemon;
  store::Writer& writer;
  const Clock& clock;
  Log& log;
  const runner::GitOpsWriter& gitops;
  const approvals::ApprovalFlow& flow;
  const notify::Notifier& notifier;
  const runner::GitMirrors& mirrors;  // where the application's commits are, to compare them
  const runner::CommitGraph& graph;   // how they are compared
};

// Turns a pushed image into a deployment: the record (`pending`, superseding older waiting
// ones), then — unless the branch's rule asks for a manual trigger or the environment for
// approvals — the GitOps commit of the new tag into the environment's overlay (`running` →
// `success` or `failed` with the reason; `deploying` when the project has Flux feedback, until
// Flux says how the rollout went). A push whose commit is an ancestor of the one the
// environment runs (an old push replayed, a branch reset) never moves it back by itself: its
// deployment waits for a manual trigger.
class Deployer {
 public:
  explicit Deployer(DeployerDeps deps) : deps_(deps) {}

  void deliver(const store::RunRecord& run, const config::ProjectConfig& project,
               const std::string& image, const std::string& tag, const std::string& digest) const;

  // The GitOps write of a deployment that may go (pending without a gate, or running: approved,
  // triggered, or left running by a crash — the write is idempotent, a file that already has
  // the value is not committed again). A deployment being carried out elsewhere in this
  // process, or already ended, is left alone.
  void carry_out(const store::DeploymentRecord& deployment, const store::RunRecord& run,
                 const config::ProjectConfig& project) const;
  bool in_flight(std::int64_t id) const;

 private:
  void record(std::int64_t id, const config::ProjectConfig& project, pipelines::DeploymentState to,
              const std::optional<std::string>& reason,
              const std::optional<std::string>& commit) const;
  void write(const store::DeploymentRecord& d, const store::RunRecord& run,
             const config::ProjectConfig& project) const;
  // Why `run`'s deployment must wait for a person, when its commit is older than `others`
  // (what the environment runs and what is on its way there).
  std::optional<std::string> backwards(const store::RunRecord& run,
                                       const config::ProjectConfig& project,
                                       const std::vector<store::EnvironmentCommit>& others) const;
  bool claim(std::int64_t id) const;
  void release(std::int64_t id) const;

  DeployerDeps deps_;
  mutable std::mutex mutex_;
  mutable std::set<std::int64_t> in_flight_;
};

}  // namespace juanie::daemon
