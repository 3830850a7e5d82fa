#include "daemon/api/start_run.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>

#include "daemon/api/error_status.hpp"
#include "daemon/api/run_handlers.hpp"
#include "daemon/runs/manual_run.hpp"

namespace juanie::daemon::api {

void start_run(const RouteDeps& deps, const http::Request& req, const config::ApiToken& caller,
               http::Reply reply) {
  const std::string project_name(start_run_project(req.path()));
  if (project_name.empty()) return reply(http::error_response(404, "no such endpoint"));
  if (req.method != "POST") return reply(http::error_response(405, "runs are started by POST"));
  const auto projects = deps.projects.get();
  auto it = projects->find(project_name);
  if (it == projects->end()) return reply(http::error_response(404, "no project " + project_name));
  auto ref = parse_start_run_body(req.body);
  if (!ref) return reply(http::error_response(400, ref.error().message));
  if (!deps.manual_runs) return reply(http::error_response(503, "manual runs are not available"));
  const Starter who{caller.name, caller.person};
  auto done = [&deps, who, project_name,
               reply = std::move(reply)](Result<store::RunRequest> run) mutable {
    if (!run) {
      deps.log.warn({.project = project_name}, "manual run of " + project_name + " for " +
                                                   who.name + " refused: " + run.error().message);
      return reply(http::error_response(http_status(run.error().kind), run.error().message));
    }
    auto request = std::make_shared<store::RunRequest>(std::move(*run));
    auto outcome = std::make_shared<store::IntakeOutcome>();
    deps.writer.submit(
        [request, outcome, at = rfc3339(deps.clock.now())](store::Database& db) -> Result<void> {
          auto r = store::record_push(db, *request, at);
          if (!r) return std::unexpected(r.error());
          *outcome = *r;
          return {};
        },
        [&deps, who, request, outcome, reply = std::move(reply)](Result<void> stored) {
          if (!stored) {
            deps.log.error(
                {.project = request->project},
                "manual run of " + request->project + " not stored: " + stored.error().message);
            return reply(http::error_response(503, "the run could not be stored; retry later"));
          }
          const std::string id = std::to_string(outcome->run_id);
          if (outcome->created) {
            deps.log.info({.run = outcome->run_id,
                           .project = request->project,
                           .environment = or_empty(outcome->environment)},
                          "run " + id + " of " + request->project + " " + request->ref + " " +
                              request->sha.substr(0, 12) + " started by " + who.name + " for " +
                              outcome->environment.value_or("no environment"));
            if (deps.on_queued) deps.on_queued();
          }
          boost::json::object o;
          o["run"] = outcome->run_id;
          o["url"] = "/api/v1/runs/" + id;
          o["project"] = request->project;
          o["ref"] = request->ref;
          o["sha"] = request->sha;
          o["environment"] = outcome->environment ? boost::json::value(*outcome->environment)
                                                  : boost::json::value(nullptr);
          o["triggered_by"] = who.name;
          if (!outcome->created) o["duplicate"] = true;
          http::Response r =
              http::json_response(outcome->created ? 201 : 200, boost::json::serialize(o));
          r.headers.emplace_back("Location", "/api/v1/runs/" + id);
          reply(std::move(r));
        });
  };
  deps.manual_runs->resolve(it->second, *ref, who, std::move(done));
}

}  // namespace juanie::daemon::api
