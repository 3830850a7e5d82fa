#pragma once

#include <cstdint>
#include <string>

#include "daemon/api/route_deps.hpp"
#include "daemon/web/deployment_page.hpp"
#include "daemon/web/project_page.hpp"
#include "daemon/web/sessions.hpp"

namespace juanie::daemon::web {

// What /projects/{p} and /deployments/{id} show, read from the store and the project's
// configuration. kNotFound for an unknown project or deployment.
Result<ProjectView> project_view(const RouteDeps& deps, const Session& session,
                                 const std::string& project);
Result<DeploymentView> deployment_view(const RouteDeps& deps, const Session& session,
                                       std::int64_t id);

}  // namespace juanie::daemon::web
