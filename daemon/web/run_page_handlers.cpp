#include "daemon/web/run_page_handlers.hpp"

#include <algorithm>
#include <memory>
#include <optional>

#include "daemon/api/handler_support.hpp"
#include "daemon/api/run_handlers.hpp"
#include "daemon/approvals/approval_page.hpp"
#include "daemon/http/form.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/step_logs.hpp"
#include "daemon/web/ansi_html.hpp"
#include "daemon/web/assets.hpp"
#include "daemon/web/log_excerpt.hpp"
#include "daemon/web/page_support.hpp"
#include "daemon/web/run_events.hpp"
#include "daemon/web/run_page.hpp"

namespace juanie::daemon::web {
namespace {

constexpr std::string_view kRuns = "/runs/";
constexpr int kRunsShown = 50;

http::Response message(int status, std::string_view title, std::string_view text) {
  return html_page(status, approvals::message_page(title, text));
}

http::Response see(const std::string& location) {
  http::Response r = html_page(303, "");
  r.headers.emplace_back("Location", location);
  return r;
}

http::Response script() {
  http::Response r{200, "text/javascript; charset=utf-8", std::string(kJuanieJs), {}};
  r.headers = {{"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}};
  return r;
}

std::string branch_of(const store::RunRecord& r) {
  if (!r.branch.empty()) return r.branch;
  const std::string_view ref = r.ref;
  return std::string(ref.starts_with("refs/heads/") ? ref.substr(11) : ref);
}

Result<RunView> view_of(const RouteDeps& deps, const Session& session, const store::RunRecord& r) {
  auto steps = deps.reader.with([&](store::Database& db) { return store::list_steps(db, r.id); });
  if (!steps) return std::unexpected(steps.error());
  RunView v;
  v.signed_in_as = actor_of(session);
  v.csrf = session.csrf;
  v.id = r.id;
  v.project = r.project;
  v.branch = branch_of(r);
  if (r.pull_request) {
    v.pull_request = r.pull_request->number;
    v.pull_request_title = r.pull_request->title;
  }
  v.sha = r.sha;
  v.commit_message = r.commit_message.value_or("");
  v.commit_author = r.commit_author.value_or("");
  v.environment = r.environment.value_or("");
  v.state = std::string(pipelines::to_string(r.state));
  v.reason = r.reason.value_or("");
  v.trigger = r.trigger;
  v.pushed_by = r.pusher.value_or("");
  if (r.sender && !r.sender->empty() && *r.sender != v.pushed_by) {
    v.pushed_by += (v.pushed_by.empty() ? "" : " (") + *r.sender + (v.pushed_by.empty() ? "" : ")");
  }
  v.created_at = r.created_at;
  v.retry_of = r.retry_of;
  const bool final = pipelines::is_final(r.state);
  const std::string now = rfc3339(deps.clock.now());
  if (r.started_at) v.duration = duration_between(*r.started_at, r.finished_at.value_or(now));
  if (r.logs_removed_at) {
    v.logs_note = "The step logs were removed at " + *r.logs_removed_at + " (retention.logs).";
  }
  v.live = !final;
  v.can_cancel = !final;
  v.can_retry = final;
  for (const auto& s : *steps) {
    StepView step{
        s.index, s.name, std::string(pipelines::to_string(s.state)), s.reason.value_or(""), "",
        "",      ""};
    if (s.started_at) step.duration = duration_between(*s.started_at, s.finished_at.value_or(now));
    if (final && s.state == pipelines::StepState::kFailed) v.can_retry_failed = true;
    v.steps.push_back(std::move(step));
  }
  // The page's budget goes to the last steps first: a run's failure is at its end.
  std::size_t budget = kPageLogHtml;
  for (std::size_t k = steps->size(); k-- > 0;) {
    if (!(*steps)[k].log) continue;
    StepView& step = v.steps[k];
    const auto& record = (*steps)[k];
    const LogExcerpt e = deps.reader.with([&](store::Database& db) {
      const auto size = store::step_log_size(db, r.id, record);
      return log_tail(size.value_or(0), kStepLogTail, [&](std::uint64_t at, std::size_t length) {
        return store::read_step_log(db, r.id, record, at, length).value_or(std::string());
      });
    });
    if (budget == 0 && !e.text.empty()) {
      step.log_cut = "This log (" + std::to_string(e.size) +
                     " bytes) is not shown: the page shows at most " +
                     std::to_string(kPageLogHtml / 1024) + " KiB of logs.";
      continue;
    }
    step.log_html = ansi_to_html(e.text, std::min(budget, kStepLogHtml));
    budget -= std::min(budget, step.log_html.size());
    if (e.left_out > 0) {
      step.log_cut = "Only the end of this log is shown: the first " + std::to_string(e.left_out) +
                     " of its " + std::to_string(e.size) + " bytes are left out.";
    }
  }
  return v;
}

void show_run(const RouteDeps& deps, const Session& session, const store::RunRecord& run,
              http::Reply reply) {
  auto v = view_of(deps, session, run);
  if (!v) return reply(message(503, "Not available", v.error().message));
  reply(html_page(200, run_page(*v)));
}

// A stream with nothing more to send.
class Ended final : public http::ResponseStream {
 public:
  std::optional<std::string> next() override { return std::nullopt; }
};

void open_events(const RouteDeps& deps, const http::Request& req, const store::RunRecord& run,
                 const Session& session, http::Reply reply) {
  if (pipelines::is_final(run.state)) {
    // Nothing to follow: the page reloads on `end` and shows the logs' ends it rendered, so
    // the stream does not replay whole logs.
    http::Response r{
        200,
        "text/event-stream; charset=utf-8",
        "retry: 3000\n\n" + sse_end(pipelines::to_string(run.state), run.reason.value_or("")),
        {}};
    r.stream = std::make_shared<Ended>();  // a stream's end: the connection closes after it
    return reply(std::move(r));
  }
  // Keyed by the token, not the session: each sign-in is a new session, so a per-session cap
  // would let one token holder take every stream of the daemon by signing in again.
  auto slot = deps.sessions->streams().acquire(session.token_name);
  if (!slot) {
    http::Response r = http::text_response(429, "too many live views are open; close some\n");
    r.headers.emplace_back("Retry-After", "10");
    return reply(std::move(r));
  }
  http::Response r{200, "text/event-stream; charset=utf-8", "retry: 3000\n\n", {}};
  r.headers.emplace_back("X-Accel-Buffering", "no");
  r.stream =
      std::make_shared<RunEvents>(deps.reader, run.id, *deps.sessions, session_id_of(deps, req),
                                  deps.clock, std::move(*slot), deps.log_bell);
  reply(std::move(r));
}

// What the page shows after an action: the run (the new one for a retry), or why not.
api::RunActionDone page_after(http::Reply reply) {
  return [reply = std::move(reply)](api::RunAction a) {
    if (!a.error.empty()) return reply(message(a.status, "Not done", a.error));
    reply(see("/runs/" + std::to_string(a.run)));
  };
}

void act(const RouteDeps& deps, const http::Request& req, const store::RunRecord& run,
         const Session& session, std::string_view action, http::Reply reply) {
  const std::string who = actor_of(session) + " via page";
  if (action == "cancel") return api::cancel_run(deps, run.id, who, page_after(std::move(reply)));
  auto form = http::parse_form(req.body, 8);
  const bool from_failed = form && form->contains("from") && form->at("from") == "failed";
  if (form && form->contains("from") && !from_failed) {
    return reply(message(400, "Not done", "from must be \"failed\""));
  }
  api::retry_run(deps, run, from_failed, who, page_after(std::move(reply)));
}

}  // namespace

bool is_run_page_path(std::string_view path) {
  return path.starts_with(kRuns) || path == "/assets/juanie.js";
}

Result<std::vector<RunRow>> recent_runs(const RouteDeps& deps) {
  auto runs = deps.reader.with(
      [](store::Database& db) { return store::list_runs(db, std::nullopt, kRunsShown); });
  if (!runs) return std::unexpected(runs.error());
  std::vector<RunRow> rows;
  for (const auto& r : *runs) {
    rows.push_back({r.id, r.project, branch_of(r), r.sha, r.environment.value_or(""),
                    std::string(pipelines::to_string(r.state)), r.created_at});
  }
  return rows;
}

void run_pages(const RouteDeps& deps, const http::Request& req, http::Reply reply) {
  const std::string_view path = req.path();
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (path == "/assets/juanie.js") {
    return reply(get ? script() : message(405, "Method not allowed", "Use GET."));
  }
  auto session = session_of(deps, req);
  std::string_view rest = path.substr(kRuns.size());
  if (rest == "table") {
    if (!get) return reply(message(405, "Method not allowed", "Use GET."));
    if (!session) return reply(http::text_response(401, "sign in first\n"));
    auto rows = recent_runs(deps);
    if (!rows) return reply(http::text_response(503, rows.error().message));
    http::Response r = html_page(200, runs_table(*rows));
    return reply(std::move(r));
  }
  const auto slash = rest.find('/');
  const auto id = api::parse_id(rest.substr(0, slash));
  const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const bool known_action =
      action.empty() || action == "events" || action == "cancel" || action == "retry";
  if (!id || !known_action) return reply(message(404, "Not found", "There is no such page."));
  const bool post = action == "cancel" || action == "retry";
  if (post ? req.method != "POST" : action == "events" ? req.method != "GET" : !get) {
    auto r = message(405, "Method not allowed", "Use the page's forms.");
    r.headers.emplace_back("Allow", post ? "POST" : "GET");
    return reply(std::move(r));
  }
  if (!session) {
    if (post)
      return reply(message(403, "Not done", "Sign in first: the form was not a session's."));
    if (action == "events") return reply(http::text_response(401, "sign in first\n"));
    return reply(html_page(200, sign_in_page(std::nullopt, path)));
  }
  if (post && !csrf_matches(*session, req.body)) {
    deps.log.warn({.run = *id}, "status page: " + std::string(action) + " of run " +
                                    std::to_string(*id) + " by " + actor_of(*session) +
                                    " refused: the form did not carry the session's CSRF value");
    return reply(message(403, "Not done", "The form was not this session's; reload the page."));
  }
  auto run = deps.reader.with([&](store::Database& db) { return store::find_run(db, *id); });
  if (!run) return reply(message(503, "Not available", run.error().message));
  if (!*run) {
    if (action == "events") return reply(http::text_response(404, "no such run\n"));
    return reply(message(404, "No such run", "Run " + std::to_string(*id) + " does not exist."));
  }
  if (action.empty()) return show_run(deps, *session, **run, std::move(reply));
  if (action == "events") return open_events(deps, req, **run, *session, std::move(reply));
  act(deps, req, **run, *session, action, std::move(reply));
}

}  // namespace juanie::daemon::web
