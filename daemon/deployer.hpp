#pragma once

#include <string>

#include "daemon/clock.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_config.hpp"
#include "daemon/log.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/writer.hpp"
#include "runner/gitops_writer.hpp"

namespace juanie::daemon {

struct DeployerDeps {
  const config::DaemonConfig& daemon;
  store::Writer& writer;
  const Clock& clock;
  Log& log;
  const runner::GitOpsWriter& gitops;
};

// Turns a pushed image into a deployment: the record (`pending`), then — unless the branch's
// rule asks for a manual trigger — the GitOps commit of the new tag into the environment's
// overlay (`running` → `success` or `failed` with the reason).
class Deployer {
 public:
  explicit Deployer(DeployerDeps deps) : deps_(deps) {}

  void deliver(const store::RunRecord& run, const config::ProjectConfig& project,
               const std::string& image, const std::string& tag, const std::string& digest) const;

  // The GitOps write of a deployment (a pending one, or one a crash left running: the write is
  // idempotent, a file that already has the value is not committed again).
  void carry_out(const store::DeploymentRecord& deployment, const store::RunRecord& run,
                 const config::ProjectConfig& project) const;

 private:
  void record(std::int64_t id, pipelines::DeploymentState to, const std::optional<std::string>& reason,
              const std::optional<std::string>& commit) const;
  DeployerDeps deps_;
};

}  // namespace juanie::daemon
