#pragma once

#include <cstdint>
#include <string>

#include "daemon/api/route_deps.hpp"
#include "daemon/http/server.hpp"

namespace juanie::daemon::api {

// GET /api/v1/deployments[?project=P][&state=S][&limit=N][&before=ID]: a page, newest first.
void list_deployments(const RouteDeps& deps, const http::Request& request, http::Reply reply);

// /api/v1/deployments/{id}[/trigger|/cancel]: GET the deployment, or POST an action.
void deployment_item(const RouteDeps& deps, const http::Request& request,
                     const config::ApiToken& caller, http::Reply reply);

// trigger (pending → awaiting approval or running) or cancel (a waiting one), by a token
// (`who`) and the person it belongs to.
void change_deployment(const RouteDeps& deps, std::int64_t id, const std::string& action,
                       const std::string& who, const std::string& person, http::Reply reply);

}  // namespace juanie::daemon::api
