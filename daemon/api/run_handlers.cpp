#include "daemon/api/run_handlers.hpp"

#include <memory>

#include "daemon/api/error_status.hpp"
#include "daemon/api/handler_support.hpp"
#include "daemon/api/log_follower.hpp"
#include "daemon/api/paging.hpp"
#include "daemon/api/runs_json.hpp"
#include "daemon/store/commit_statuses.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/step_logs.hpp"
#include "pipelines/state_machines.hpp"

namespace juanie::daemon::api {
namespace {

// The API's answer to a cancel or a retry.
RunActionDone action_json(http::Reply reply) {
  return [reply = std::move(reply)](RunAction a) {
    if (!a.error.empty()) return reply(http::error_response(a.status, a.error));
    if (a.retry_of) {
      return reply(http::json_response(a.status, R"({"run":)" + std::to_string(a.run) +
                                                     R"(,"retry_of":)" +
                                                     std::to_string(*a.retry_of) + "}"));
    }
    reply(http::json_response(
        a.status, R"({"run":)" + std::to_string(a.run) + R"(,"state":")" + a.state + "\"}"));
  };
}

}  // namespace

void list_runs(const RouteDeps& deps, const http::Request& req, http::Reply reply) {
  auto project = req.query("project");
  const auto page = parse_page(req);
  if (!page) return reply(http::error_response(400, page.error().message));
  auto runs = deps.reader.with([&](store::Database& db) {
    return store::list_runs(db, project, page->limit + 1, page->before);
  });
  if (!runs) return reply(http::error_response(503, runs.error().message));
  const auto next = cut_page(*runs, *page);
  return reply(http::json_response(200, runs_list_json(*runs, next)));
}

void run_item(const RouteDeps& deps, const http::Request& req, const config::ApiToken& caller,
              http::Reply reply) {
  constexpr std::string_view kRun = "/api/v1/runs/";
  const std::string_view path = req.path();
  if (!path.starts_with(kRun)) return reply(http::error_response(404, "no such endpoint"));
  std::string_view rest = path.substr(kRun.size());
  const auto slash = rest.find('/');
  const std::string_view id_text = rest.substr(0, slash);
  const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const auto parsed = parse_id(id_text);
  if (!parsed) return reply(http::error_response(404, "no such run"));
  const std::int64_t id = *parsed;
  auto run = deps.reader.with([&](store::Database& db) { return store::find_run(db, id); });
  if (!run) return reply(http::error_response(503, run.error().message));
  if (!*run) return reply(http::error_response(404, "no such run"));
  if (action.empty() && req.method == "GET") {
    auto steps = deps.reader.with([&](store::Database& db) { return store::list_steps(db, id); });
    if (!steps) return reply(http::error_response(503, steps.error().message));
    auto deployment =
        deps.reader.with([&](store::Database& db) { return store::deployment_of_run(db, id); });
    if (!deployment) return reply(http::error_response(503, deployment.error().message));
    auto approvals =
        approvals_by_id(deps.reader, *deployment ? std::vector{**deployment}
                                                 : std::vector<store::DeploymentRecord>{});
    if (!approvals) return reply(http::error_response(503, approvals.error().message));
    auto report =
        deps.reader.with([&](store::Database& db) { return store::status_report(db, id); });
    if (!report) return reply(http::error_response(503, report.error().message));
    return reply(
        http::json_response(200, run_json(**run, *steps, *deployment, *approvals, *report)));
  }
  if (action == "log" && req.method == "GET") {
    if (req.query("follow") == "1") {
      http::Response r = http::text_response(200, "");
      r.stream = std::make_shared<LogFollower>(deps.reader, id, deps.log_bell);
      return reply(std::move(r));
    }
    return reply(run_log(deps, id));
  }
  if (action == "cancel" && req.method == "POST")
    return cancel_run(deps, id, caller.name, action_json(std::move(reply)));
  if (action == "retry" && req.method == "POST") {
    const auto from = req.query("from");
    if (from && *from != "failed")
      return reply(http::error_response(400, "from must be \"failed\""));
    return retry_run(deps, **run, from.has_value(), caller.name, action_json(std::move(reply)));
  }
  reply(http::error_response(action == "log" || action == "cancel" || action.empty() ? 405 : 404,
                             action.empty() || action == "log" || action == "cancel"
                                 ? "method not allowed"
                                 : "no such endpoint"));
}

http::Response run_log(const RouteDeps& deps, std::int64_t id) {
  auto steps = deps.reader.with([&](store::Database& db) { return store::list_steps(db, id); });
  if (!steps) return http::error_response(503, steps.error().message);
  auto run = deps.reader.with([&](store::Database& db) { return store::find_run(db, id); });
  if (!run) return http::error_response(503, run.error().message);
  std::string text;
  if (*run && (*run)->logs_removed_at) {
    text = "(the step logs were removed at " + *(*run)->logs_removed_at + " by retention.logs)\n";
  }
  for (const auto& step : *steps) {
    text += "── " + step.name + " (" + std::string(pipelines::to_string(step.state)) +
            (step.reason ? ": " + *step.reason : "") + ")\n";
    if (step.log) {
      // In pieces: the store reads at most a chunk's worth of a shared log at a time.
      for (std::uint64_t at = 0;;) {
        auto piece = deps.reader.with([&](store::Database& db) {
          return store::read_step_log(db, id, step, at, store::kLogChunkMax * 16);
        });
        if (!piece) return http::error_response(503, piece.error().message);
        if (piece->empty()) break;
        at += piece->size();
        text += *piece;
      }
      if (!text.empty() && text.back() != '\n') text += '\n';
    }
  }
  return http::text_response(200, std::move(text));
}

void retry_run(const RouteDeps& deps, const store::RunRecord& run, bool from_failed,
               const std::string& who, RunActionDone done) {
  std::optional<std::int64_t> resume_from;
  if (from_failed) {
    auto steps =
        deps.reader.with([&](store::Database& db) { return store::list_steps(db, run.id); });
    if (!steps) return done({.status = 503, .error = steps.error().message});
    for (const auto& step : *steps) {
      if (step.state == pipelines::StepState::kFailed) {
        resume_from = step.index;
        break;
      }
    }
    if (!resume_from) {
      return done(
          {.status = 409, .error = "run " + std::to_string(run.id) + " has no failed step"});
    }
  }
  auto new_id = std::make_shared<std::int64_t>(0);
  deps.writer.submit(
      [id = run.id, resume_from, new_id,
       at = rfc3339(deps.clock.now())](store::Database& db) -> Result<void> {
        auto r = store::insert_retry(db, id, resume_from, at);
        if (!r) return std::unexpected(r.error());
        *new_id = *r;
        return {};
      },
      [&deps, id = run.id, who, new_id, resume_from, done = std::move(done)](Result<void> ok) {
        if (!ok) return done({.status = http_status(ok.error().kind), .error = ok.error().message});
        deps.log.info({.run = *new_id},
                      "run " + std::to_string(*new_id) + " retries run " + std::to_string(id) +
                          (resume_from ? " from step " + std::to_string(*resume_from) : "") +
                          " for " + who);
        if (deps.on_queued) deps.on_queued();
        done({.status = 202, .run = *new_id, .retry_of = id, .state = "queued"});
      });
}

void cancel_run(const RouteDeps& deps, std::int64_t id, const std::string& who,
                RunActionDone done) {
  if (deps.cancel_running && deps.cancel_running(id)) {
    deps.log.info({.run = id}, "run " + std::to_string(id) + " cancel requested by " + who);
    return done({.status = 202, .run = id, .state = "cancelling"});
  }
  auto outcome = std::make_shared<store::CancelOutcome>(store::CancelOutcome::kCancelled);
  deps.writer.submit(
      [id, who, outcome, at = rfc3339(deps.clock.now())](store::Database& db) -> Result<void> {
        auto cancelled = store::cancel_run(db, id, "cancelled by " + who, at);
        if (!cancelled) return std::unexpected(cancelled.error());
        *outcome = *cancelled;
        return {};
      },
      [&deps, id, who, outcome, done = std::move(done)](Result<void> ok) {
        if (!ok) return done({.status = http_status(ok.error().kind), .error = ok.error().message});
        if (*outcome == store::CancelOutcome::kAsked) {
          // Running on another node: it stops the run at its next heartbeat and records it.
          deps.log.info({.run = id}, "run " + std::to_string(id) + " cancel requested by " + who +
                                         " (it runs on another node)");
          return done({.status = 202, .run = id, .state = "cancelling"});
        }
        deps.log.info({.run = id}, "run " + std::to_string(id) + " cancelled by " + who);
        done({.status = 200, .run = id, .state = "cancelled"});
      });
}

}  // namespace juanie::daemon::api
