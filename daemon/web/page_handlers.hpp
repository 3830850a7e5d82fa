#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/api/route_deps.hpp"
#include "daemon/http/message.hpp"
#include "daemon/http/server.hpp"

namespace juanie::daemon::web {

// The paths of the status page: `/` (the runs, or the sign-in form), `POST /sign-in`,
// `POST /sign-out`, the runs' (run_page_handlers.hpp), the projects' and deployments'
// (page_actions.hpp).
bool is_page_path(std::string_view path);

// The page's forms are a few hundred bytes (a comment is at most 2000 characters): no page
// request carries a larger body, the sign-in form (anyone's) included.
inline constexpr std::uint64_t kFormMax = 16 * 1024;

// Before a page request's body is read: a POST of a session's form (every form but sign-in)
// without a live session cookie is refused (403); any other page request may carry a body of
// at most kFormMax.
http::Screening screen_page(const RouteDeps& deps, const http::Request& head);

// Answers one of them. Without a live session cookie only the sign-in form is shown.
void status_page(const RouteDeps& deps, const http::Request& req, http::Reply reply);

// The value of cookie `name` in a Cookie header ("" when it is not there).
std::string cookie_value(std::string_view header, std::string_view name);

}  // namespace juanie::daemon::web
