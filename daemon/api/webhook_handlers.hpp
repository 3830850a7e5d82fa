#pragma once

#include <string_view>

#include "daemon/api/route_deps.hpp"
#include "daemon/forge/forge.hpp"
#include "daemon/http/server.hpp"

namespace juanie::daemon::api {

// "/hooks/github/shop-api" → ("github", "shop-api").
bool split_hook_path(std::string_view path, std::string_view& forge, std::string_view& project);

// The webhook counter's label of a refusal's status (unauthorized, unknown_project, …).
std::string_view rejection_label(int status);

// POST /hooks/{forge}/{project}: verified and classified, then a run is stored (202), a
// duplicate delivery recognised (200), an ignored event said so (200) or the refusal answered.
void receive_webhook(const RouteDeps& deps, Forge forge, std::string_view project,
                     http::Request request, http::Reply reply);

}  // namespace juanie::daemon::api
