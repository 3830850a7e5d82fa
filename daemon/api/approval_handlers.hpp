#pragma once

#include "daemon/api/route_deps.hpp"
#include "daemon/http/message.hpp"

namespace juanie::daemon::api {

// GET /api/v1/approvals[?state=pending|decided][&limit=N][&before=ID]: the approvals of
// deployments awaiting approval, newest deployment first; a page holds those of at most
// `limit` deployments, never part of one deployment's.
http::Response list_approvals(const RouteDeps& deps, const http::Request& request);

}  // namespace juanie::daemon::api
