#include "daemon/api/environment_state.hpp"

namespace juanie::daemon::api {

using pipelines::DeploymentState;

EnvironmentStatus environment_status(const std::vector<store::DeploymentRecord>& history) {
  EnvironmentStatus s;
  bool updating = false;
  for (const auto& d : history) {
    updating =
        updating || d.state == DeploymentState::kRunning || d.state == DeploymentState::kDeploying;
    if (!s.current && d.gitops_commit &&
        (d.state == DeploymentState::kDeploying || d.state == DeploymentState::kSuccess ||
         d.state == DeploymentState::kFailed)) {
      s.current = &d;
    }
    if (!s.last_rollout &&
        (d.state == DeploymentState::kSuccess || d.state == DeploymentState::kFailed ||
         d.state == DeploymentState::kRolledBack)) {
      s.last_rollout = &d;
    }
    if (!s.in_flight &&
        (d.state == DeploymentState::kPending || d.state == DeploymentState::kAwaitingApproval ||
         d.state == DeploymentState::kRunning || d.state == DeploymentState::kDeploying)) {
      s.in_flight = &d;
    }
  }
  if (updating) {
    s.state = "updating";
  } else if (!s.current) {
    s.state = "creating";
  } else {
    s.state = s.current->state == DeploymentState::kFailed ? "degraded" : "active";
  }
  return s;
}

}  // namespace juanie::daemon::api
