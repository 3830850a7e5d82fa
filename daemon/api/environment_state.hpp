#pragma once

#include <string_view>
#include <vector>

#include "daemon/store/deployments.hpp"

namespace juanie::daemon::api {

// What an environment's deployments (newest first) say about it, for the API's environments
// view and the status page alike. The pointers point into the history given.
struct EnvironmentStatus {
  // DESIGN's environment state: updating while one is being written or rolled out, degraded
  // when what it runs failed its rollout, active when that succeeded, creating before
  // anything was committed.
  std::string_view state;
  // What the overlay names now: the newest deployment whose GitOps commit was made and not
  // undone since (a rollback after it has a higher id).
  const store::DeploymentRecord* current = nullptr;
  const store::DeploymentRecord* last_rollout = nullptr;  // the newest that finished
  const store::DeploymentRecord* in_flight = nullptr;     // the newest waiting or under way
};

EnvironmentStatus environment_status(const std::vector<store::DeploymentRecord>& history);

}  // namespace juanie::daemon::api
