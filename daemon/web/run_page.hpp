#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace juanie::daemon::web {

// /runs/{id} as a pure function of what it shows. Every log is rendered here (ANSI colours as
// classes), so the page is whole without script; a live run's page names its event stream
// (data-events) and /assets/juanie.js follows it.

struct StepView {
  int index = 0;
  std::string name;
  std::string state;
  std::string reason;
  std::string duration;
  std::string log_html;  // ansi_html of the step's log (of its end, when it is long)
  std::string log_cut;   // what of the log is not shown, said in words ("": all of it is)
};

struct RunView {
  std::string signed_in_as;
  std::string csrf;
  std::int64_t id = 0;
  std::string project;
  std::string branch;
  std::optional<std::int64_t> pull_request;
  std::string pull_request_title;
  std::string sha;
  std::string commit_message;
  std::string commit_author;
  std::string environment;
  std::string state;
  std::string reason;
  std::string trigger;
  std::string pushed_by;
  std::string created_at;
  std::string duration;  // "" before it starts
  std::optional<std::int64_t> retry_of;
  std::string logs_note;  // why logs are missing (retention), or ""
  bool live = false;      // queued or running: the page follows it
  bool can_cancel = false;
  bool can_retry = false;
  bool can_retry_failed = false;
  std::vector<StepView> steps;
};

std::string run_page(const RunView& v);

// "42s", "3m 07s", "1h 02m": how long from `from` to `to` (RFC 3339); "" when either is not
// a timestamp or `to` is before `from`.
std::string duration_between(const std::string& from, const std::string& to);

// The style the run page adds to the shared one: the log, the steps, the 16 ANSI colours.
extern const std::string_view kRunPageStyle;

}  // namespace juanie::daemon::web
