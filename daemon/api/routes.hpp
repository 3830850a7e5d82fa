#pragma once

#include <optional>
#include <string_view>

#include "daemon/api/readiness.hpp"
#include "daemon/api/route_deps.hpp"
#include "daemon/http/server.hpp"

namespace juanie::daemon {

// The route table: matches a request's method and path to its handler (webhook_handlers,
// run_handlers, deployment_handlers, approval_handlers, health_handlers, the approval desk),
// counts and times the answer under its route, and authenticates /api/v1/ before any handler.
class Routes {
 public:
  explicit Routes(RouteDeps deps)
      : deps_(std::move(deps)),
        readiness_(deps_.writer, deps_.reader, [this] { return rfc3339(deps_.clock.now()); }) {}

  void handle(http::Request request, http::Reply reply);
  // Once a request's header is read, before its body: the answer to a request that no body
  // can make right (no such endpoint or project, wrong method, no valid bearer token or
  // approval link, a page's form without a session), which the server sends without reading
  // the body; else how much body the route takes (a page's form: web::kFormMax).
  http::Screening screen(const http::Request& head);
  // For the server's own refusals (413, 431): counted and logged like the handlers' answers.
  void refused(int status, std::string_view target, std::string_view remote);

 private:
  void api(const http::Request& request, http::Reply reply);
  // The refusals of `screen` for every route but the status page's.
  std::optional<http::Response> refuse_before_body(const http::Request& head);

  RouteDeps deps_;
  Readiness readiness_;
};

}  // namespace juanie::daemon
