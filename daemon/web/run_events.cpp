#include "daemon/web/run_events.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace juanie::daemon::web {
namespace {

// The server polls an idle stream every 200 ms: 75 polls are about 15 s.
constexpr int kPollsPerKeepAlive = 75;

// One event; `data` may hold newlines (each line is its own data: field, the browser joins
// them back). ansi_html leaves no '\r' in it, the one other line end of the format.
std::string event(std::string_view name, std::string_view data) {
  std::string out = "event: " + std::string(name) + "\n";
  while (true) {
    const auto end = data.find('\n');
    out += "data: ";
    out += data.substr(0, end);
    out += '\n';
    if (end == std::string_view::npos) break;
    data.remove_prefix(end + 1);
  }
  return out + "\n";
}

std::string step_json(const api::LogEvent& e, std::string_view state) {
  boost::json::object o{{"index", e.step}, {"name", e.name}, {"state", state}};
  return boost::json::serialize(o);
}

}  // namespace

std::string sse_end(std::string_view state, std::string_view reason) {
  boost::json::object o{{"state", state}, {"reason", reason}};
  return event("end", boost::json::serialize(o));
}

std::string sse_events(const std::vector<api::LogEvent>& events, std::map<int, AnsiHtml>& renderers,
                       StreamBudget& budget) {
  std::string out;
  for (const auto& e : events) {
    switch (e.kind) {
      case api::LogEvent::Kind::kStepStarted:
        out += event("step", step_json(e, "running"));
        break;
      case api::LogEvent::Kind::kOutput: {
        if (budget.stopped.contains(e.step)) break;
        std::size_t& sent = budget.sent[e.step];
        const std::size_t left =
            std::min(budget.step_html - std::min(budget.step_html, sent),
                     budget.total_html - std::min(budget.total_html, budget.total));
        if (left == 0) {
          budget.stopped.insert(e.step);
          const std::string log = "/api/v1/runs/" + std::to_string(budget.run) + "/log";
          out += event("log", std::to_string(e.step) +
                                  "\n\n<span class=\"log-cut\">[The live view of "
                                  "this log stops here; reload the page for its end, or see " +
                                  log + " for the whole log.]</span>\n");
          break;
        }
        const std::string html = renderers[e.step].feed(e.bytes, left);
        sent += html.size();
        budget.total += html.size();
        if (!html.empty()) out += event("log", std::to_string(e.step) + "\n" + html);
        break;
      }
      case api::LogEvent::Kind::kStepEnded:
        out += event("step", step_json(e, e.state));
        break;
      case api::LogEvent::Kind::kRunEnded:
        out += sse_end(e.state, e.reason ? *e.reason : "");
        break;
    }
  }
  return out;
}

std::optional<std::string> RunEvents::next() {
  if (tail_.ended()) return std::nullopt;
  if (!sessions_.find(session_id_, clock_.now())) return std::nullopt;  // signed out or expired
  std::string out = sse_events(tail_.poll(), renderers_, budget_);
  if (!out.empty()) {
    idle_polls_ = 0;
    return out;
  }
  if (tail_.ended()) return std::nullopt;
  if (++idle_polls_ >= kPollsPerKeepAlive) {
    idle_polls_ = 0;
    return std::string(": still running\n\n");
  }
  return std::string();
}

}  // namespace juanie::daemon::web
