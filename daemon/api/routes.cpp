#include "daemon/api/routes.hpp"

#include <chrono>
#include <string>

#include "daemon/api/approval_handlers.hpp"
#include "daemon/api/auth.hpp"
#include "daemon/api/deployment_handlers.hpp"
#include "daemon/api/environment_handlers.hpp"
#include "daemon/api/flux_handlers.hpp"
#include "daemon/api/health_handlers.hpp"
#include "daemon/api/loggable_path.hpp"
#include "daemon/api/node_handlers.hpp"
#include "daemon/api/run_handlers.hpp"
#include "daemon/api/webhook_handlers.hpp"
#include "daemon/web/page_handlers.hpp"

namespace juanie::daemon {
namespace {

using Clock = std::chrono::steady_clock;

// Wraps `reply` so every answer is counted and timed under its route.
http::Reply measured(Metrics& metrics, std::string route, http::Reply reply) {
  return [&metrics, route = std::move(route), reply = std::move(reply),
          start = Clock::now()](http::Response r) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    metrics.http_request(route, r.status, seconds);
    reply(std::move(r));
  };
}

using ApiHandler = void (*)(const RouteDeps&, const http::Request&, const config::ApiToken&,
                            http::Reply);

// One row of the API's table. An exact path with a method: another method is a 405. A prefix
// (ending in '/') with no method: the handler reads the rest of the path and the method.
struct ApiRoute {
  std::string_view method;
  std::string_view path;
  ApiHandler handler;
};

constexpr ApiRoute kApiRoutes[] = {
    {"GET", "/api/v1/runs",
     [](const RouteDeps& d, const http::Request& r, const config::ApiToken&, http::Reply reply) {
       api::list_runs(d, r, std::move(reply));
     }},
    {"GET", "/api/v1/deployments",
     [](const RouteDeps& d, const http::Request& r, const config::ApiToken&, http::Reply reply) {
       api::list_deployments(d, r, std::move(reply));
     }},
    {"", "/api/v1/deployments/", api::deployment_item},
    {"GET", "/api/v1/approvals",
     [](const RouteDeps& d, const http::Request& r, const config::ApiToken&, http::Reply reply) {
       reply(api::list_approvals(d, r));
     }},
    {"GET", "/api/v1/nodes",
     [](const RouteDeps& d, const http::Request&, const config::ApiToken&, http::Reply reply) {
       reply(api::list_nodes(d));
     }},
    {"", "/api/v1/projects/", api::project_item},
    {"", "/api/v1/runs/", api::run_item},
};

}  // namespace

void Routes::handle(http::Request req, http::Reply reply) {
  const std::string_view path = req.path();
  std::string_view forge_name, project;
  if (api::split_hook_path(path, forge_name, project)) {
    if (forge_name == "flux") {
      if (req.method != "POST") return reply(http::error_response(405, "Flux events are POSTed"));
      const std::string project_name(project);  // `project` points into the moved request
      return api::receive_flux_event(deps_, project_name, std::move(req),
                                     measured(deps_.metrics, "/hooks/flux", std::move(reply)));
    }
    auto forge = parse_forge(forge_name);
    if (forge && req.method == "POST") {
      const std::string project_name(project);
      auto r =
          measured(deps_.metrics, "/hooks/" + std::string(to_string(*forge)), std::move(reply));
      return api::receive_webhook(deps_, *forge, project_name, std::move(req), std::move(r));
    }
    if (forge) return reply(http::error_response(405, "webhooks are POSTed"));
    return reply(http::error_response(404, "unknown forge \"" + std::string(forge_name) + "\""));
  }
  if (path == "/healthz") return reply(api::healthz());
  if (path == "/readyz") {
    return api::readyz(deps_, readiness_, measured(deps_.metrics, "/readyz", std::move(reply)));
  }
  if (path == "/metrics") return reply(api::metrics(deps_));
  if (path.starts_with("/approve/")) {
    return deps_.desk.handle(req, measured(deps_.metrics, "/approve", std::move(reply)));
  }
  if (path.starts_with("/api/v1/")) {
    return api(req, measured(deps_.metrics, "/api/v1", std::move(reply)));
  }
  if (web::is_page_path(path)) {
    return web::status_page(deps_, req, measured(deps_.metrics, "/", std::move(reply)));
  }
  reply(http::error_response(404, "no such endpoint"));
}

http::Screening Routes::screen(const http::Request& head) {
  if (web::is_page_path(head.path()) && deps_.sessions) {
    http::Screening screening = web::screen_page(deps_, head);
    if (screening.answer) deps_.metrics.http_request("/", screening.answer->status, 0);
    return screening;
  }
  return {refuse_before_body(head), std::nullopt, ""};
}

std::optional<http::Response> Routes::refuse_before_body(const http::Request& head) {
  const std::string_view path = head.path();
  std::string_view forge_name, project_name;
  if (api::split_hook_path(path, forge_name, project_name)) {
    if (forge_name == "flux") {
      if (head.method != "POST") return http::error_response(405, "Flux events are POSTed");
      if (api::takes_flux_events(deps_, project_name)) return std::nullopt;
      deps_.metrics.http_request("/hooks/flux", 404, 0);
      deps_.log.warn({.project = project_name},
                     "Flux event for " + std::string(project_name) + " from " +
                         head.remote_address + " refused (404) before its body: no such project " +
                         "or no flux.hmac_key");
      return http::error_response(404, "no project takes Flux events here");
    }
    auto forge = parse_forge(forge_name);
    if (!forge)
      return http::error_response(404, "unknown forge \"" + std::string(forge_name) + "\"");
    if (head.method != "POST") return http::error_response(405, "webhooks are POSTed");
    const auto projects = deps_.projects.get();
    auto it = projects->find(project_name);
    if (it != projects->end() && it->second->config.forge == *forge) return std::nullopt;
    const std::string forge_label(to_string(*forge));
    deps_.metrics.webhook(forge_label, "unknown_project");
    deps_.metrics.http_request("/hooks/" + forge_label, 404, 0);
    deps_.log.warn({.project = project_name},
                   "webhook " + forge_label + "/" + std::string(project_name) + " from " +
                       head.remote_address + " refused (404) before its body: no such project");
    return http::error_response(404, "no project takes " + forge_label + " webhooks here");
  }
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") return std::nullopt;
  if (path.starts_with("/approve/")) {
    auto refused = deps_.desk.screen(head);
    if (refused) deps_.metrics.http_request("/approve", refused->status, 0);
    return refused;
  }
  if (path.starts_with("/api/v1/")) {
    if (api::authenticate(head, deps_.api_tokens)) return std::nullopt;
    deps_.metrics.http_request("/api/v1", 401, 0);
    http::Response r = http::error_response(401, "a valid bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  return http::error_response(404, "no such endpoint");
}

void Routes::refused(int status, std::string_view target, std::string_view remote) {
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view forge_name, project;
  if (api::split_hook_path(path, forge_name, project)) {
    if (auto forge = parse_forge(forge_name)) {
      deps_.metrics.webhook(to_string(*forge), api::rejection_label(status));
    }
  }
  deps_.log.warn("request " + api::loggable_path(path) + " from " + std::string(remote) +
                 " refused (" + std::to_string(status) + ")");
}

void Routes::api(const http::Request& req, http::Reply reply) {
  const config::ApiToken* caller = api::authenticate(req, deps_.api_tokens);
  if (!caller) {
    http::Response r = http::error_response(401, "a valid bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return reply(std::move(r));
  }
  const std::string_view path = req.path();
  for (const ApiRoute& route : kApiRoutes) {
    const bool prefix = route.path.ends_with('/');
    if (prefix ? !path.starts_with(route.path) : path != route.path) continue;
    if (!route.method.empty() && req.method != route.method) {
      return reply(http::error_response(405, "method not allowed"));
    }
    return route.handler(deps_, req, *caller, std::move(reply));
  }
  reply(http::error_response(404, "no such endpoint"));
}

}  // namespace juanie::daemon
