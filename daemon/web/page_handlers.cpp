#include "daemon/web/page_handlers.hpp"

#include "daemon/approvals/approval_desk.hpp"
#include "daemon/approvals/approval_page.hpp"
#include "daemon/http/form.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/support/crypto.hpp"
#include "daemon/web/page_actions.hpp"
#include "daemon/web/page_support.hpp"
#include "daemon/web/pages.hpp"
#include "daemon/web/run_page_handlers.hpp"

namespace juanie::daemon::web {
namespace {

http::Response page(int status, std::string html) {
  return html_page(status, std::move(html));
}

// Where a signed-in person lands: the page they asked for (the form's `next`) when it is one
// of this daemon's own paths, else `/` — never another site (//evil.example, /\evil).
std::string landing(const Result<std::map<std::string, std::string>>& form) {
  if (!form || !form->contains("next")) return "/";
  const std::string& next = form->at("next");
  const bool local = next.starts_with('/') && !next.starts_with("//") &&
                     next.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-") == std::string::npos;
  return local ? next : "/";
}

http::Response see_home(std::string cookie, std::string location = "/") {
  http::Response r = page(303, "");
  r.headers.emplace_back("Location", std::move(location));
  r.headers.emplace_back("Set-Cookie", std::move(cookie));
  return r;
}

// `name=value` and the attributes of the session cookie.
std::string session_cookie(const RouteDeps& deps, std::string_view value) {
  // SameSite=Strict: no other site can make the browser send it, so no form elsewhere can act
  // as the person; HttpOnly: no script reads it; Secure when the page is reached over https
  // (served over TLS, or public_url is https behind a TLS proxy), named __Host- then.
  return std::string(session_cookie_name(deps)) + "=" + std::string(value) +
         "; Path=/; HttpOnly; SameSite=Strict" + (deps.secure_cookies ? "; Secure" : "");
}

// The configured token whose SHA-256 is that of `token`; every digest is compared, in
// constant time.
const config::ApiToken* token_named(const RouteDeps& deps, std::string_view token) {
  const Digest digest = sha256(token);
  const config::ApiToken* found = nullptr;
  for (const auto& t : deps.api_tokens) {
    if (constant_time_equal(digest, t.sha256)) found = &t;
  }
  return found;
}

void sign_in(const RouteDeps& deps, const http::Request& req, http::Reply reply) {
  auto form = http::parse_form(req.body, 4);
  const config::ApiToken* token =
      form && form->contains("token") ? token_named(deps, form->at("token")) : nullptr;
  if (!token) {
    return reply(page(
        401, sign_in_page("That token is not one of the daemon's api_tokens.", landing(form))));
  }
  auto opened = deps.sessions->open(token->name, token->person, deps.clock.now());
  deps.log.info("status page: " + token->name + " signed in from " + req.remote_address);
  reply(see_home(
      session_cookie(deps, opened.id) + "; Max-Age=" + std::to_string(deps.sessions->ttl().count()),
      landing(form)));
}

void sign_out(const RouteDeps& deps, const http::Request& req, http::Reply reply) {
  auto session = session_of(deps, req);
  auto form = http::parse_form(req.body, 4);
  if (!session || !form || !form->contains("csrf") ||
      !constant_time_equal(form->at("csrf"), session->csrf)) {
    return reply(page(403, sign_in_page("Sign-out refused: the form was not this session's.")));
  }
  deps.sessions->close(session_id_of(deps, req));
  deps.log.info("status page: " + session->token_name + " signed out");
  reply(see_home(session_cookie(deps, "") + "; Max-Age=0"));
}

void home(const RouteDeps& deps, const Session& session, http::Reply reply) {
  auto runs = recent_runs(deps);
  if (!runs)
    return reply(page(503, approvals::message_page("Not available", runs.error().message)));
  HomeView v{actor_of(session), session.csrf, std::move(*runs), {}};
  for (const auto& [name, project] : *deps.projects.get()) v.projects.push_back(name);
  reply(page(200, home_page(v)));
}

}  // namespace

http::Screening screen_page(const RouteDeps& deps, const http::Request& head) {
  const std::string_view path = head.path();
  // Every form but the sign-in form is a session's: without one, its body is of no use.
  const bool session_form = head.method == "POST" &&
                            (path == "/sign-out" || path.starts_with("/runs/") ||
                             path.starts_with("/projects/") || path.starts_with("/deployments/"));
  if (session_form && !session_of(deps, head)) {
    return {page(403, sign_in_page("Sign in first: that form needs a session.")), std::nullopt, ""};
  }
  return {std::nullopt, kFormMax, "a page form's " + std::to_string(kFormMax / 1024) + " KiB"};
}

bool is_page_path(std::string_view path) {
  return path == "/" || path == "/sign-in" || path == "/sign-out" || is_run_page_path(path) ||
         is_deploy_page_path(path);
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto end = header.find(';');
    std::string_view pair = header.substr(0, end);
    while (pair.starts_with(' ')) pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return "";
}

void status_page(const RouteDeps& deps, const http::Request& req, http::Reply reply) {
  if (!deps.sessions) return reply(http::error_response(404, "no such endpoint"));
  const std::string_view path = req.path();
  if (is_run_page_path(path)) return run_pages(deps, req, std::move(reply));
  if (path == "/sign-in" && req.method == "POST") return sign_in(deps, req, std::move(reply));
  if (path == "/sign-out" && req.method == "POST") return sign_out(deps, req, std::move(reply));
  if (is_deploy_page_path(path)) return deploy_page(deps, req, std::move(reply));
  if (path == "/" && (req.method == "GET" || req.method == "HEAD")) {
    auto session = session_of(deps, req);
    if (!session) return reply(page(200, sign_in_page(std::nullopt)));
    return home(deps, *session, std::move(reply));
  }
  auto r = page(405, approvals::message_page("Method not allowed", "Use the page's forms."));
  r.headers.emplace_back("Allow", path == "/" ? "GET" : "POST");
  reply(std::move(r));
}

}  // namespace juanie::daemon::web
