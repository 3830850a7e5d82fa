#include "daemon/api/routes.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <iterator>
#include <limits>
#include <memory>

#include "daemon/api/auth.hpp"
#include "daemon/api/error_status.hpp"
#include "daemon/api/log_follower.hpp"
#include "daemon/api/paging.hpp"
#include "daemon/api/runs_json.hpp"
#include "daemon/store/approvals.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/outbox.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/webhook/intake.hpp"
#include "pipelines/approval_gate.hpp"
#include "pipelines/state_machines.hpp"

namespace juanie::daemon {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// "/hooks/github/shop-api" → ("github", "shop-api").
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

json::value optional(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

// Wraps `reply` so every answer is counted and timed under its route.
http::Reply measured(Metrics& metrics, std::string route, http::Reply reply) {
  return [&metrics, route = std::move(route), reply = std::move(reply),
          start = Clock::now()](http::Response r) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    metrics.http_request(route, r.status, seconds);
    reply(std::move(r));
  };
}

}  // namespace

void Routes::handle(http::Request req, http::Reply reply) {
  const std::string_view path = req.path();
  std::string_view forge_name, project;
  if (split_hook_path(path, forge_name, project)) {
    auto forge = parse_forge(forge_name);
    if (forge && req.method == "POST") {
      const std::string project_name(project);
      auto r =
          measured(deps_.metrics, "/hooks/" + std::string(to_string(*forge)), std::move(reply));
      return webhook(*forge, project_name, std::move(req), std::move(r));
    }
    if (forge) return reply(http::error_response(405, "webhooks are POSTed"));
    return reply(http::error_response(404, "unknown forge \"" + std::string(forge_name) + "\""));
  }
  if (path == "/healthz") {
    return reply(http::json_response(200, R"({"status":"ok"})"));
  }
  if (path == "/readyz") return readyz(measured(deps_.metrics, "/readyz", std::move(reply)));
  if (path == "/metrics") return reply(metrics());
  if (path.starts_with("/approve/")) {
    return deps_.desk.handle(req, measured(deps_.metrics, "/approve", std::move(reply)));
  }
  if (path.starts_with("/api/v1/")) {
    return api(req, measured(deps_.metrics, "/api/v1", std::move(reply)));
  }
  reply(http::error_response(404, "no such endpoint"));
}

std::optional<http::Response> Routes::screen(const http::Request& head) {
  const std::string_view path = head.path();
  std::string_view forge_name, project_name;
  if (split_hook_path(path, forge_name, project_name)) {
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
    deps_.log.warn("webhook " + forge_label + "/" + std::string(project_name) + " from " +
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

void Routes::webhook(Forge forge, std::string_view project_name, http::Request req,
                     http::Reply reply) {
  const auto now = deps_.clock.now();
  const auto projects = deps_.projects.get();
  auto it = projects->find(project_name);
  const config::LoadedProject* project = it == projects->end() ? nullptr : it->second.get();
  Intake intake = classify_webhook(forge, req, project, now);
  const std::string forge_label(to_string(forge));
  const std::string where = forge_label + "/" + std::string(project_name);

  if (auto* rejection = std::get_if<Rejection>(&intake)) {
    deps_.metrics.webhook(forge_label, rejection_label(rejection->status));
    deps_.log.warn("webhook " + where + " from " + req.remote_address + " refused (" +
                   std::to_string(rejection->status) + "): " + rejection->reason);
    return reply(http::error_response(rejection->status, rejection->reason));
  }
  if (auto* ignored = std::get_if<Ignored>(&intake)) {
    deps_.metrics.webhook(forge_label, "ignored");
    json::object o;
    o["delivery"] = ignored->delivery;
    o["ignored"] = ignored->reason;
    return reply(http::json_response(200, json::serialize(o)));
  }
  auto run = std::make_shared<store::RunRequest>(std::move(std::get<store::RunRequest>(intake)));
  auto outcome = std::make_shared<store::IntakeOutcome>();
  deps_.writer.submit(
      [run, outcome, at = rfc3339(now)](store::Database& db) -> Result<void> {
        auto r = store::record_push(db, *run, at);
        if (!r) return std::unexpected(r.error());
        *outcome = *r;
        return {};
      },
      [this, run, outcome, where, forge_label, reply = std::move(reply)](Result<void> stored) {
        if (!stored) {
          deps_.metrics.webhook(forge_label, "unavailable");
          deps_.log.error("webhook " + where + " delivery " + run->delivery +
                          " not stored, answered 503: " + stored.error().message);
          return reply(http::error_response(503, "the event could not be stored; retry later"));
        }
        deps_.metrics.webhook(forge_label, outcome->created ? "queued" : "duplicate");
        json::object o;
        o["delivery"] = run->delivery;
        o["run"] = outcome->run_id;
        o["environment"] = optional(outcome->environment);
        if (!outcome->created) o["duplicate"] = true;
        if (outcome->created && deps_.on_queued) deps_.on_queued();
        if (outcome->created) {
          deps_.log.info("webhook " + where + " " + run->ref + " " + run->sha.substr(0, 12) +
                         " queued run " + std::to_string(outcome->run_id) + " for " +
                         outcome->environment.value_or("no environment"));
        }
        reply(http::json_response(outcome->created ? 202 : 200, json::serialize(o)));
      });
}

void Routes::refused(int status, std::string_view target, std::string_view remote) {
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view forge_name, project;
  if (split_hook_path(path, forge_name, project)) {
    if (auto forge = parse_forge(forge_name)) {
      deps_.metrics.webhook(to_string(*forge), rejection_label(status));
    }
  }
  deps_.log.warn("request " + std::string(path) + " from " + std::string(remote) + " refused (" +
                 std::to_string(status) + ")");
}

void Routes::readyz(http::Reply reply) {
  // Low disk first (runs wait then; webhooks are still stored), then the store.
  if (auto why = deps_.not_ready ? deps_.not_ready() : std::nullopt) {
    return reply(http::error_response(503, *why));
  }
  readiness_.check([reply = std::move(reply)](std::optional<std::string> why_not) {
    if (why_not) return reply(http::error_response(503, *why_not));
    reply(http::json_response(200, R"({"ready":true})"));
  });
}

http::Response Routes::metrics() {
  auto counts =
      deps_.reader.with([](store::Database& db) { return store::count_runs_by_state(db); });
  if (counts) deps_.metrics.set_runs(*counts);
  auto deployments =
      deps_.reader.with([](store::Database& db) { return store::count_deployments_by_state(db); });
  if (deployments) deps_.metrics.set_deployments(*deployments);
  auto outbox =
      deps_.reader.with([](store::Database& db) { return store::count_pending_messages(db); });
  if (outbox) deps_.metrics.set_outbox_pending(*outbox);
  deps_.metrics.set_store_pending(deps_.writer.pending());
  http::Response r = http::text_response(200, deps_.metrics.render());
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

namespace {

Result<api::ApprovalsById> approvals_by_id(store::Reader& reader,
                                           const std::vector<store::DeploymentRecord>& list) {
  return reader.with([&](store::Database& db) -> Result<api::ApprovalsById> {
    api::ApprovalsById out;
    for (const auto& d : list) {
      auto a = store::approvals_of(db, d.id);
      if (!a) return std::unexpected(a.error());
      if (!a->empty()) out.emplace(d.id, std::move(*a));
    }
    return out;
  });
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id < 1) return std::nullopt;
  return id;
}

}  // namespace

void Routes::deployments(const http::Request& req, const config::ApiToken& caller,
                         http::Reply reply) {
  const std::string_view path = req.path();
  if (path == "/api/v1/deployments") {
    if (req.method != "GET") return reply(http::error_response(405, "method not allowed"));
    auto project = req.query("project");
    const auto page = api::parse_page(req);
    if (!page) return reply(http::error_response(400, page.error().message));
    const auto state_text = req.query("state");
    const auto state = state_text ? pipelines::parse_deployment_state(*state_text) : std::nullopt;
    if (state_text && !state) {
      return reply(http::error_response(
          400, "state must be a deployment state, e.g. pending or awaiting_approval"));
    }
    auto list = deps_.reader.with([&](store::Database& db) {
      return store::list_deployments(db, project, page->limit + 1, page->before, state);
    });
    if (!list) return reply(http::error_response(503, list.error().message));
    const auto next = api::cut_page(*list, *page);
    auto approvals = approvals_by_id(deps_.reader, *list);
    if (!approvals) return reply(http::error_response(503, approvals.error().message));
    return reply(http::json_response(200, api::deployments_list_json(*list, *approvals, next)));
  }
  std::string_view rest = path.substr(std::string_view("/api/v1/deployments/").size());
  const auto slash = rest.find('/');
  const auto id = parse_id(rest.substr(0, slash));
  const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (!id) return reply(http::error_response(404, "no such deployment"));
  if (action == "trigger" || action == "cancel") {
    if (req.method != "POST") return reply(http::error_response(405, "method not allowed"));
    return change_deployment(*id, std::string(action), caller.name, caller.person,
                             std::move(reply));
  }
  if (!action.empty()) return reply(http::error_response(404, "no such endpoint"));
  if (req.method != "GET") return reply(http::error_response(405, "method not allowed"));
  auto d = deps_.reader.with([&](store::Database& db) { return store::find_deployment(db, *id); });
  if (!d) return reply(http::error_response(503, d.error().message));
  if (!*d) return reply(http::error_response(404, "no such deployment"));
  auto approvals = approvals_by_id(deps_.reader, {**d});
  if (!approvals) return reply(http::error_response(503, approvals.error().message));
  reply(http::json_response(200, api::deployment_json(**d, *approvals)));
}

void Routes::change_deployment(std::int64_t id, const std::string& action, const std::string& who,
                               const std::string& person, http::Reply reply) {
  auto d = deps_.reader.with([&](store::Database& db) { return store::find_deployment(db, id); });
  if (!d) return reply(http::error_response(503, d.error().message));
  if (!*d) return reply(http::error_response(404, "no such deployment"));
  const auto projects = deps_.projects.get();
  auto it = projects->find((*d)->project);
  if (it == projects->end()) {
    return reply(
        http::error_response(409, "project " + (*d)->project + " is no longer configured"));
  }
  auto project = it->second;
  auto state = std::make_shared<std::string>();
  deps_.writer.submit(
      [this, project, id, action, who, person, state,
       now = deps_.clock.now()](store::Database& db) -> Result<void> {
        if (action == "cancel") {
          if (auto ok = deps_.flow.withdraw(db, project->config, id, who, now); !ok) return ok;
        } else if (auto next = deps_.flow.trigger(db, project->config, id, who, person, now);
                   !next) {
          return std::unexpected(next.error());
        }
        auto after = store::find_deployment(db, id);
        if (!after) return std::unexpected(after.error());
        *state = pipelines::to_string((*after)->state);
        return {};
      },
      [this, id, action, who, state, reply = std::move(reply)](Result<void> ok) {
        if (!ok)
          return reply(http::error_response(api::http_status(ok.error().kind), ok.error().message));
        deps_.log.info("deployment " + std::to_string(id) + " " +
                       (action == "cancel" ? "cancelled" : "triggered") + " by " + who + ": " +
                       *state);
        if (deps_.on_deployments_changed) deps_.on_deployments_changed();
        reply(http::json_response(
            action == "cancel" ? 200 : 202,
            R"({"deployment":)" + std::to_string(id) + R"(,"state":")" + *state + R"("})"));
      });
}

http::Response Routes::approvals_list(const http::Request& req) {
  const auto state = req.query("state");
  if (state && *state != "pending" && *state != "decided") {
    return http::error_response(400, "state must be pending or decided");
  }
  const auto page = api::parse_page(req);
  if (!page) return http::error_response(400, page.error().message);
  const auto projects = deps_.projects.get();
  // A page holds the approvals of at most `limit` deployments (newest first), never part of
  // one deployment's; a deployment with nothing to show takes no room.
  std::optional<std::int64_t> next;
  auto items =
      deps_.reader.with([&](store::Database& db) -> Result<std::vector<api::ApprovalItem>> {
        std::vector<api::ApprovalItem> out;
        int taken = 0;
        std::int64_t before = page->before.value_or(std::numeric_limits<std::int64_t>::max());
        for (;;) {
          auto waiting = store::deployments_in_state_before(
              db, pipelines::DeploymentState::kAwaitingApproval, page->limit, before);
          if (!waiting) return std::unexpected(waiting.error());
          for (const auto& d : *waiting) {
            auto decided = store::approvals_of(db, d.id);
            if (!decided) return std::unexpected(decided.error());
            auto it = projects->find(d.project);
            const auto* env =
                it == projects->end() ? nullptr : it->second->config.environment(d.environment);
            const auto gate = env ? pipelines::gate_of(*env) : std::nullopt;
            std::vector<api::ApprovalItem> of_this;
            if (state != "decided" && gate) {
              for (const auto& name : gate->approvers) {
                const bool done = std::any_of(decided->begin(), decided->end(),
                                              [&](const auto& a) { return a.approver == name; });
                if (!done) of_this.push_back({d, name, std::nullopt});
              }
            }
            if (state != "pending") {
              for (const auto& a : *decided) of_this.push_back({d, a.approver, a});
            }
            if (of_this.empty()) continue;
            if (taken == page->limit) {
              next = out.back().deployment.id;
              return out;
            }
            ++taken;
            std::move(of_this.begin(), of_this.end(), std::back_inserter(out));
          }
          if (waiting->size() < static_cast<std::size_t>(page->limit)) return out;
          before = waiting->back().id;
        }
      });
  if (!items) return http::error_response(503, items.error().message);
  return http::json_response(200, api::approvals_list_json(*items, next));
}

void Routes::api(const http::Request& req, http::Reply reply) {
  const config::ApiToken* caller = api::authenticate(req, deps_.api_tokens);
  if (!caller) {
    http::Response r = http::error_response(401, "a valid bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return reply(std::move(r));
  }
  const std::string_view path = req.path();
  if (path == "/api/v1/runs") {
    if (req.method != "GET") return reply(http::error_response(405, "method not allowed"));
    auto project = req.query("project");
    const auto page = api::parse_page(req);
    if (!page) return reply(http::error_response(400, page.error().message));
    auto runs = deps_.reader.with([&](store::Database& db) {
      return store::list_runs(db, project, page->limit + 1, page->before);
    });
    if (!runs) return reply(http::error_response(503, runs.error().message));
    const auto next = api::cut_page(*runs, *page);
    return reply(http::json_response(200, api::runs_list_json(*runs, next)));
  }
  if (path == "/api/v1/deployments" || path.starts_with("/api/v1/deployments/")) {
    return deployments(req, *caller, std::move(reply));
  }
  if (path == "/api/v1/approvals") {
    if (req.method != "GET") return reply(http::error_response(405, "method not allowed"));
    return reply(approvals_list(req));
  }
  if (path.starts_with("/api/v1/projects/")) return start_run(req, *caller, std::move(reply));
  constexpr std::string_view kRun = "/api/v1/runs/";
  if (!path.starts_with(kRun)) return reply(http::error_response(404, "no such endpoint"));
  std::string_view rest = path.substr(kRun.size());
  const auto slash = rest.find('/');
  const std::string_view id_text = rest.substr(0, slash);
  const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const auto parsed = parse_id(id_text);
  if (!parsed) return reply(http::error_response(404, "no such run"));
  const std::int64_t id = *parsed;
  auto run = deps_.reader.with([&](store::Database& db) { return store::find_run(db, id); });
  if (!run) return reply(http::error_response(503, run.error().message));
  if (!*run) return reply(http::error_response(404, "no such run"));
  if (action.empty() && req.method == "GET") {
    auto steps = deps_.reader.with([&](store::Database& db) { return store::list_steps(db, id); });
    if (!steps) return reply(http::error_response(503, steps.error().message));
    auto deployment =
        deps_.reader.with([&](store::Database& db) { return store::deployment_of_run(db, id); });
    if (!deployment) return reply(http::error_response(503, deployment.error().message));
    auto approvals =
        approvals_by_id(deps_.reader, *deployment ? std::vector{**deployment}
                                                  : std::vector<store::DeploymentRecord>{});
    if (!approvals) return reply(http::error_response(503, approvals.error().message));
    return reply(http::json_response(200, api::run_json(**run, *steps, *deployment, *approvals)));
  }
  if (action == "log" && req.method == "GET") {
    if (req.query("follow") == "1") {
      http::Response r = http::text_response(200, "");
      r.stream = std::make_shared<api::LogFollower>(deps_.reader, id);
      return reply(std::move(r));
    }
    return reply(run_log(id));
  }
  if (action == "cancel" && req.method == "POST")
    return cancel_run(id, caller->name, std::move(reply));
  if (action == "retry" && req.method == "POST") {
    const auto from = req.query("from");
    if (from && *from != "failed")
      return reply(http::error_response(400, "from must be \"failed\""));
    return retry_run(**run, from.has_value(), caller->name, std::move(reply));
  }
  reply(http::error_response(action == "log" || action == "cancel" || action.empty() ? 405 : 404,
                             action.empty() || action == "log" || action == "cancel"
                                 ? "method not allowed"
                                 : "no such endpoint"));
}

http::Response Routes::run_log(std::int64_t id) {
  auto steps = deps_.reader.with([&](store::Database& db) { return store::list_steps(db, id); });
  if (!steps) return http::error_response(503, steps.error().message);
  auto run = deps_.reader.with([&](store::Database& db) { return store::find_run(db, id); });
  if (!run) return http::error_response(503, run.error().message);
  std::string text;
  if (*run && (*run)->logs_removed_at) {
    text = "(the step logs were removed at " + *(*run)->logs_removed_at + " by retention.logs)\n";
  }
  for (const auto& step : *steps) {
    text += "── " + step.name + " (" + std::string(pipelines::to_string(step.state)) +
            (step.reason ? ": " + *step.reason : "") + ")\n";
    if (step.log) {
      auto content = config::read_text_file(*step.log);
      if (content) text += *content;
      if (!text.empty() && text.back() != '\n') text += '\n';
    }
  }
  return http::text_response(200, std::move(text));
}

void Routes::retry_run(const store::RunRecord& run, bool from_failed, const std::string& who,
                       http::Reply reply) {
  std::optional<std::int64_t> resume_from;
  if (from_failed) {
    auto steps =
        deps_.reader.with([&](store::Database& db) { return store::list_steps(db, run.id); });
    if (!steps) return reply(http::error_response(503, steps.error().message));
    for (const auto& step : *steps) {
      if (step.state == pipelines::StepState::kFailed) {
        resume_from = step.index;
        break;
      }
    }
    if (!resume_from) {
      return reply(
          http::error_response(409, "run " + std::to_string(run.id) + " has no failed step"));
    }
  }
  auto new_id = std::make_shared<std::int64_t>(0);
  deps_.writer.submit(
      [id = run.id, resume_from, new_id,
       at = rfc3339(deps_.clock.now())](store::Database& db) -> Result<void> {
        auto r = store::insert_retry(db, id, resume_from, at);
        if (!r) return std::unexpected(r.error());
        *new_id = *r;
        return {};
      },
      [this, id = run.id, who, new_id, resume_from, reply = std::move(reply)](Result<void> ok) {
        if (!ok)
          return reply(http::error_response(api::http_status(ok.error().kind), ok.error().message));
        deps_.log.info("run " + std::to_string(*new_id) + " retries run " + std::to_string(id) +
                       (resume_from ? " from step " + std::to_string(*resume_from) : "") + " for " +
                       who);
        if (deps_.on_queued) deps_.on_queued();
        reply(http::json_response(202, R"({"run":)" + std::to_string(*new_id) + R"(,"retry_of":)" +
                                           std::to_string(id) + "}"));
      });
}

void Routes::cancel_run(std::int64_t id, const std::string& who, http::Reply reply) {
  if (deps_.cancel_running && deps_.cancel_running(id)) {
    deps_.log.info("run " + std::to_string(id) + " cancel requested by " + who);
    return reply(
        http::json_response(202, R"({"run":)" + std::to_string(id) + R"(,"state":"cancelling"})"));
  }
  deps_.writer.submit(
      [id, who, at = rfc3339(deps_.clock.now())](store::Database& db) {
        return store::set_run_state(db, id, pipelines::RunState::kCancelled, "cancelled by " + who,
                                    at);
      },
      [id, reply = std::move(reply)](Result<void> ok) {
        if (!ok)
          return reply(http::error_response(api::http_status(ok.error().kind), ok.error().message));
        reply(http::json_response(200,
                                  R"({"run":)" + std::to_string(id) + R"(,"state":"cancelled"})"));
      });
}

}  // namespace juanie::daemon
