#include "daemon/api/flux_handlers.hpp"

#include <memory>

#include "daemon/flux/flux_event.hpp"
#include "daemon/store/flux_events.hpp"

namespace juanie::daemon::api {

namespace {

// The key that signs the project's Flux events; empty when it takes none.
std::string flux_key_of(const RouteDeps& deps, std::string_view project) {
  const auto projects = deps.projects.get();
  auto it = projects->find(project);
  return it == projects->end() ? std::string() : it->second->flux_key;
}

}  // namespace

bool takes_flux_events(const RouteDeps& deps, std::string_view project) {
  return !flux_key_of(deps, project).empty();
}

void receive_flux_event(const RouteDeps& deps, std::string_view project_name, http::Request req,
                        http::Reply reply) {
  const std::string project(project_name);
  const std::string where = "Flux event for " + project + " from " + req.remote_address;
  const std::string key = flux_key_of(deps, project_name);
  if (key.empty()) {
    deps.log.warn({.project = project}, where + " refused (404): the project has no flux.hmac_key");
    return reply(http::error_response(404, "no project takes Flux events here"));
  }
  if (auto ok = flux::verify_flux_signature(req.header("X-Signature"), req.body, key); !ok) {
    deps.log.warn({.project = project}, where + " refused (401): " + ok.error().message);
    return reply(http::error_response(401, ok.error().message));
  }
  auto parsed = flux::parse_flux_event(req.body);
  if (!parsed) {
    deps.log.warn({.project = project}, where + " refused (400): " + parsed.error().message);
    return reply(http::error_response(400, parsed.error().message));
  }
  auto event = std::make_shared<flux::FluxEvent>(std::move(*parsed));
  auto stored = std::make_shared<store::FluxIntake>();
  deps.writer.submit(
      [project, event, stored,
       at = rfc3339(deps.clock.now())](store::Database& db) -> Result<void> {
        auto r = store::record_flux_event(db, project, *event, at);
        if (!r) return std::unexpected(r.error());
        *stored = *r;
        return {};
      },
      [&deps, project, where, event, stored, reply = std::move(reply)](Result<void> ok) {
        if (!ok) {
          deps.log.error({.project = project},
                         where + " not stored, answered 503: " + ok.error().message);
          return reply(http::error_response(503, "the event could not be stored; retry later"));
        }
        const std::string id = std::to_string(stored->id);
        if (stored->created) {
          deps.log.info({.project = project}, where + " stored as " + id + ": " + event->kind +
                                                  " " + event->name + " " + event->reason + " " +
                                                  event->revision.value_or("(no revision)"));
          if (deps.on_flux_event) deps.on_flux_event();
        } else {
          deps.metrics.flux_event("duplicate");
        }
        reply(http::json_response(
            stored->created ? 202 : 200,
            R"({"event":)" + id + (stored->created ? "}" : R"(,"duplicate":true})")));
      });
}

}  // namespace juanie::daemon::api
