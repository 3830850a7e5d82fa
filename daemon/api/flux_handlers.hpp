#pragma once

#include <string_view>

#include "daemon/api/route_deps.hpp"
#include "daemon/http/server.hpp"

namespace juanie::daemon::api {

// True when the project takes Flux events: it exists and has a flux.hmac_key. Without a key an
// event could come from anyone, so such a project takes none.
bool takes_flux_events(const RouteDeps& deps, std::string_view project);

// POST /hooks/flux/{project}: an event of Flux's notification-controller (generic-hmac
// provider), its X-Signature checked before the body is parsed, stored before the answer —
// 202 with its id, 200 when it repeats one still waiting to be acted on.
void receive_flux_event(const RouteDeps& deps, std::string_view project, http::Request request,
                        http::Reply reply);

}  // namespace juanie::daemon::api
