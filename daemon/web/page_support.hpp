#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/api/route_deps.hpp"
#include "daemon/http/message.hpp"
#include "daemon/web/sessions.hpp"

namespace juanie::daemon::web {

inline constexpr std::string_view kSessionCookie = "juanie_session";
// The name when cookies are Secure: the browser keeps a __Host- cookie only when it came over
// https with Secure, Path=/ and no Domain, so no sibling host (a.example.com beside
// ci.example.com) and no plain-http page can plant or overwrite one.
inline constexpr std::string_view kSecureSessionCookie = "__Host-juanie_session";

// The session cookie's name as this daemon sets and reads it (deps.secure_cookies).
std::string_view session_cookie_name(const RouteDeps& deps);
// The session the request's cookie names, if it is live.
std::optional<Session> session_of(const RouteDeps& deps, const http::Request& req);
// The cookie's session id ("" without one).
std::string session_id_of(const RouteDeps& deps, const http::Request& req);
// Who a session acts as, in pages and logs: its token's person, else the token's name.
std::string actor_of(const Session& session);
// True when the form body carries the session's CSRF value (compared in constant time).
bool csrf_matches(const Session& session, std::string_view form_body);

// A page: no caching, no framing, no referrer, and a CSP that lets in only the daemon's own
// script (/assets/juanie.js) and connections back to it — no inline script, no other origin.
http::Response html_page(int status, std::string html);

}  // namespace juanie::daemon::web
