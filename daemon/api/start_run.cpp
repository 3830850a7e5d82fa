#include "daemon/api/start_run.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>

#include "daemon/api/error_status.hpp"
#include "daemon/api/run_handlers.hpp"
#include "daemon/api/start_manual_run.hpp"
#include "daemon/runs/manual_run.hpp"

namespace juanie::daemon::api {

void start_manual_run(const RouteDeps& deps, const std::string& project_name,
                      const std::string& ref, const Starter& who, RunStarted done) {
  const auto projects = deps.projects.get();
  auto it = projects->find(project_name);
  if (it == projects->end()) return done(fail(ErrorKind::kNotFound, "no project " + project_name));
  if (!deps.manual_runs)
    return done(fail(ErrorKind::kUnavailable, "manual runs are not available"));
  auto resolved = [&deps, who, project_name,
                   done = std::move(done)](Result<store::RunRequest> run) mutable {
    if (!run) {
      deps.log.warn({.project = project_name}, "manual run of " + project_name + " for " +
                                                   who.name + " refused: " + run.error().message);
      return done(std::unexpected(run.error()));
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
        [&deps, who, request, outcome, done = std::move(done)](Result<void> stored) {
          if (!stored) {
            deps.log.error(
                {.project = request->project},
                "manual run of " + request->project + " not stored: " + stored.error().message);
            return done(fail(ErrorKind::kUnavailable, "the run could not be stored; retry later"));
          }
          if (outcome->created) {
            deps.log.info({.run = outcome->run_id,
                           .project = request->project,
                           .environment = or_empty(outcome->environment)},
                          "run " + std::to_string(outcome->run_id) + " of " + request->project +
                              " " + request->ref + " " + request->sha.substr(0, 12) +
                              " started by " + who.name + " for " +
                              outcome->environment.value_or("no environment"));
            if (deps.on_queued) deps.on_queued();
          }
          done(StartedRun{outcome->run_id, request->project, request->ref, request->sha,
                          outcome->environment, outcome->created});
        });
  };
  deps.manual_runs->resolve(it->second, ref, who, std::move(resolved));
}

void start_run(const RouteDeps& deps, const http::Request& req, const config::ApiToken& caller,
               http::Reply reply) {
  const std::string project_name(start_run_project(req.path()));
  if (project_name.empty()) return reply(http::error_response(404, "no such endpoint"));
  if (req.method != "POST") return reply(http::error_response(405, "runs are started by POST"));
  if (!deps.projects.get()->contains(project_name)) {
    return reply(http::error_response(404, "no project " + project_name));
  }
  auto ref = parse_start_run_body(req.body);
  if (!ref) return reply(http::error_response(400, ref.error().message));
  const Starter who{caller.name, caller.person};
  start_manual_run(
      deps, project_name, *ref, who, [who, reply = std::move(reply)](Result<StartedRun> run) {
        if (!run) {
          return reply(http::error_response(http_status(run.error().kind), run.error().message));
        }
        const std::string id = std::to_string(run->run);
        boost::json::object o;
        o["run"] = run->run;
        o["url"] = "/api/v1/runs/" + id;
        o["project"] = run->project;
        o["ref"] = run->ref;
        o["sha"] = run->sha;
        o["environment"] =
            run->environment ? boost::json::value(*run->environment) : boost::json::value(nullptr);
        o["triggered_by"] = who.name;
        if (!run->created) o["duplicate"] = true;
        http::Response r = http::json_response(run->created ? 201 : 200, boost::json::serialize(o));
        r.headers.emplace_back("Location", "/api/v1/runs/" + id);
        reply(std::move(r));
      });
}

}  // namespace juanie::daemon::api
