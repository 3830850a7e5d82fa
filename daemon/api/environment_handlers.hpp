#pragma once

#include "daemon/api/route_deps.hpp"
#include "daemon/http/server.hpp"

namespace juanie::daemon::api {

// /api/v1/projects/{p}/…: `runs` (POST: start a run), `environments` (GET: each environment's
// state, what it runs and its last rollout), `environments/{e}/rollback` (POST: roll back).
void project_item(const RouteDeps& deps, const http::Request& request,
                  const config::ApiToken& caller, http::Reply reply);

}  // namespace juanie::daemon::api
