#pragma once

#include "daemon/api/readiness.hpp"
#include "daemon/api/route_deps.hpp"
#include "daemon/http/server.hpp"

namespace juanie::daemon::api {

// GET /healthz: the process answers.
http::Response healthz();

// GET /readyz: 503 with the reason while the daemon cannot take on runs (low disk) or the
// store does not answer; 200 otherwise.
void readyz(const RouteDeps& deps, Readiness& readiness, http::Reply reply);

// GET /metrics: the counters, with the store's gauges read now.
http::Response metrics(const RouteDeps& deps);

}  // namespace juanie::daemon::api
