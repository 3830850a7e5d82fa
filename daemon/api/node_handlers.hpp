#pragma once

#include "daemon/api/route_deps.hpp"
#include "daemon/http/message.hpp"

namespace juanie::daemon::api {

// GET /api/v1/nodes: the build nodes sharing this store — each one's labels, capacity, the
// runs it holds, its last heartbeat and whether that is within the lease (alive). A single
// node lists itself.
http::Response list_nodes(const RouteDeps& deps);

}  // namespace juanie::daemon::api
