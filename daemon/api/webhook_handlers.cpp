#include "daemon/api/webhook_handlers.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <vector>

#include "daemon/store/runs.hpp"
#include "daemon/webhook/intake.hpp"

namespace juanie::daemon::api {
namespace {

namespace json = boost::json;

json::value optional(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

// Stops the runs a pull request no longer wants that are running here (the queued ones are
// already cancelled in the store).
void stop_running(const RouteDeps& deps, const std::vector<std::int64_t>& running,
                  const std::string& why) {
  for (auto id : running) {
    if (deps.cancel_running && deps.cancel_running(id)) {
      deps.log.info("run " + std::to_string(id) + " cancelled: " + why);
    }
  }
}

// A closed or merged pull request: its queued runs are cancelled in the store before the 2xx
// (a redelivery does the same again, harmlessly); its running ones are stopped.
void close_pull_request(const RouteDeps& deps, PullRequestClosed closed, const std::string& where,
                        const std::string& forge_label, const std::string& now, http::Reply reply) {
  auto shared = std::make_shared<PullRequestClosed>(std::move(closed));
  auto running = std::make_shared<std::vector<std::int64_t>>();
  deps.writer.submit(
      [shared, running, now](store::Database& db) -> Result<void> {
        auto r = store::close_pull_request(db, shared->project, shared->ref, shared->reason, now);
        if (!r) return std::unexpected(r.error());
        *running = std::move(*r);
        return {};
      },
      [&deps, shared, running, where, forge_label, reply = std::move(reply)](Result<void> stored) {
        if (!stored) {
          deps.metrics.webhook(forge_label, "unavailable");
          deps.log.error("webhook " + where + " delivery " + shared->delivery +
                         " not stored, answered 503: " + stored.error().message);
          return reply(http::error_response(503, "the event could not be stored; retry later"));
        }
        deps.metrics.webhook(forge_label, "ignored");
        stop_running(deps, *running, shared->reason);
        json::object o;
        o["delivery"] = shared->delivery;
        o["ignored"] = shared->reason + ": its runs are cancelled";
        o["pull_request"] = shared->number;
        reply(http::json_response(200, json::serialize(o)));
      });
}

}  // namespace

bool split_hook_path(std::string_view path, std::string_view& forge, std::string_view& project) {
  constexpr std::string_view kPrefix = "/hooks/";
  if (!path.starts_with(kPrefix)) return false;
  path.remove_prefix(kPrefix.size());
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return false;
  forge = path.substr(0, slash);
  project = path.substr(slash + 1);
  return !project.empty() && project.find('/') == std::string_view::npos;
}

std::string_view rejection_label(int status) {
  switch (status) {
    case 401:
      return "unauthorized";
    case 404:
      return "unknown_project";
    case 413:
      return "too_large";
    default:
      return "malformed";
  }
}

void receive_webhook(const RouteDeps& deps, Forge forge, std::string_view project_name,
                     http::Request req, http::Reply reply) {
  const auto now = deps.clock.now();
  const auto projects = deps.projects.get();
  auto it = projects->find(project_name);
  const config::LoadedProject* project = it == projects->end() ? nullptr : it->second.get();
  Intake intake = classify_webhook(forge, req, project, now);
  const std::string forge_label(to_string(forge));
  const std::string where = forge_label + "/" + std::string(project_name);

  if (auto* rejection = std::get_if<Rejection>(&intake)) {
    deps.metrics.webhook(forge_label, rejection_label(rejection->status));
    deps.log.warn({.project = project_name}, "webhook " + where + " from " + req.remote_address +
                                                 " refused (" + std::to_string(rejection->status) +
                                                 "): " + rejection->reason);
    return reply(http::error_response(rejection->status, rejection->reason));
  }
  if (auto* ignored = std::get_if<Ignored>(&intake)) {
    deps.metrics.webhook(forge_label, "ignored");
    json::object o;
    o["delivery"] = ignored->delivery;
    o["ignored"] = ignored->reason;
    return reply(http::json_response(200, json::serialize(o)));
  }
  if (auto* closed = std::get_if<PullRequestClosed>(&intake)) {
    return close_pull_request(deps, std::move(*closed), where, forge_label, rfc3339(now),
                              std::move(reply));
  }
  auto run = std::make_shared<store::RunRequest>(std::move(std::get<store::RunRequest>(intake)));
  auto outcome = std::make_shared<store::IntakeOutcome>();
  // A pull request's older runs go in the same transaction as its new one.
  auto superseded = std::make_shared<std::vector<std::int64_t>>();
  deps.writer.submit(
      [run, outcome, superseded, at = rfc3339(now)](store::Database& db) -> Result<void> {
        auto r = store::record_push(db, *run, at);
        if (!r) return std::unexpected(r.error());
        *outcome = *r;
        if (run->pull_request && r->created) {
          auto older = store::supersede_pull_request(db, run->project, run->ref, r->run_id, at);
          if (!older) return std::unexpected(older.error());
          *superseded = std::move(*older);
        }
        return {};
      },
      [&deps, run, outcome, superseded, where, forge_label,
       reply = std::move(reply)](Result<void> stored) {
        if (!stored) {
          deps.metrics.webhook(forge_label, "unavailable");
          deps.log.error({.project = run->project, .delivery = run->delivery},
                         "webhook " + where + " delivery " + run->delivery +
                             " not stored, answered 503: " + stored.error().message);
          return reply(http::error_response(503, "the event could not be stored; retry later"));
        }
        deps.metrics.webhook(forge_label, outcome->created ? "queued" : "duplicate");
        json::object o;
        o["delivery"] = run->delivery;
        o["run"] = outcome->run_id;
        o["environment"] = optional(outcome->environment);
        if (run->pull_request) o["pull_request"] = run->pull_request->number;
        if (!outcome->created) o["duplicate"] = true;
        if (outcome->created && deps.on_queued) deps.on_queued();
        stop_running(deps, *superseded, "superseded by run " + std::to_string(outcome->run_id));
        if (outcome->created) {
          deps.log.info({.run = outcome->run_id,
                         .project = run->project,
                         .environment = or_empty(outcome->environment),
                         .delivery = run->delivery},
                        "webhook " + where + " " + run->ref + " " + run->sha.substr(0, 12) +
                            " queued run " + std::to_string(outcome->run_id) + " for " +
                            outcome->environment.value_or("no environment"));
        }
        reply(http::json_response(outcome->created ? 202 : 200, json::serialize(o)));
      });
}

}  // namespace juanie::daemon::api
