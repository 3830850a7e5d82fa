#pragma once

#include <string_view>

#include "daemon/api/route_deps.hpp"
#include "daemon/http/message.hpp"

namespace juanie::daemon::web {

// The status page's project and deployment views and their forms:
//   GET  /projects/{p}                 environments, approvals waiting, recent runs
//   POST /projects/{p}/runs            ref, csrf: a manual run (as POST /api/v1/projects/{p}/runs)
//   POST /projects/{p}/trigger         deployment, csrf: as POST /api/v1/deployments/{id}/trigger
//   GET  /deployments/{id}             the deployment and its decisions
//   POST /deployments/{id}/decide      decision, comment, digest, csrf: an approver's decision,
//                                      through the same ApprovalFlow::decide as the links
// Without a session a GET shows the sign-in form and a POST is refused (403).
bool is_deploy_page_path(std::string_view path);
void deploy_page(const RouteDeps& deps, const http::Request& req, http::Reply reply);

}  // namespace juanie::daemon::web
