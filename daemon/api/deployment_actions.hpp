#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "daemon/api/route_deps.hpp"
#include "pipelines/error.hpp"

namespace juanie::daemon::api {

// trigger (pending → awaiting approval or running) or cancel (a waiting one) of deployment
// `id`, by a token (`who`) and the person it belongs to; `done` gets the deployment's state
// after it, or why not (kNotFound, kConflict, kUnavailable for the store). The API
// (`POST /api/v1/deployments/{id}/trigger`) and the status page's form both act through it.
using DeploymentChanged = std::function<void(Result<std::string>)>;
void change_deployment_state(const RouteDeps& deps, std::int64_t id, const std::string& action,
                             const std::string& who, const std::string& person,
                             DeploymentChanged done);

}  // namespace juanie::daemon::api
