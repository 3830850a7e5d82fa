#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/api/route_deps.hpp"
#include "daemon/http/message.hpp"

namespace juanie::daemon::web {

// The paths of the status page: `/` (the runs, or the sign-in form), `POST /sign-in`,
// `POST /sign-out`.
bool is_page_path(std::string_view path);

// Answers one of them. Without a live session cookie only the sign-in form is shown.
void status_page(const RouteDeps& deps, const http::Request& req, http::Reply reply);

// The value of cookie `name` in a Cookie header ("" when it is not there).
std::string cookie_value(std::string_view header, std::string_view name);

}  // namespace juanie::daemon::web
