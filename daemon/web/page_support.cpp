#include "daemon/web/page_support.hpp"

#include "daemon/http/form.hpp"
#include "daemon/support/crypto.hpp"
#include "daemon/web/page_handlers.hpp"

namespace juanie::daemon::web {

std::string_view session_cookie_name(const RouteDeps& deps) {
  return deps.secure_cookies ? kSecureSessionCookie : kSessionCookie;
}

std::string session_id_of(const RouteDeps& deps, const http::Request& req) {
  const auto header = req.header("Cookie");
  return header ? cookie_value(*header, session_cookie_name(deps)) : "";
}

std::optional<Session> session_of(const RouteDeps& deps, const http::Request& req) {
  if (!deps.sessions) return std::nullopt;
  return deps.sessions->find(session_id_of(deps, req), deps.clock.now());
}

std::string actor_of(const Session& session) {
  return session.person.empty() ? session.token_name : session.person;
}

bool csrf_matches(const Session& session, std::string_view form_body) {
  auto form = http::parse_form(form_body, 8);
  return form && form->contains("csrf") && constant_time_equal(form->at("csrf"), session.csrf);
}

http::Response html_page(int status, std::string html) {
  http::Response r{status, "text/html; charset=utf-8", std::move(html), {}};
  r.headers = {{"Cache-Control", "no-store"},
               {"Referrer-Policy", "no-referrer"},
               {"Content-Security-Policy",
                "default-src 'none'; script-src 'self'; connect-src 'self'; "
                "style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
                "base-uri 'none'"},
               {"X-Frame-Options", "DENY"},
               {"X-Content-Type-Options", "nosniff"}};
  return r;
}

}  // namespace juanie::daemon::web
