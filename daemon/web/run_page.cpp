#include "daemon/web/run_page.hpp"

#include "daemon/approvals/approval_page.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/web/pages.hpp"

namespace juanie::daemon::web {
namespace {

using approvals::html_escape;

// Colours chosen for a 4.5:1 contrast on the log's dark background (WCAG AA).
constexpr std::string_view kStyleText =
    "nav a{margin-right:1rem}dl{display:grid;grid-template-columns:max-content 1fr;"
    "gap:.2rem 1rem;margin:1rem 0}dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}"
    ".actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0}.actions form{margin:0}"
    ".step h3{font-size:1rem;margin:1.2rem 0 .3rem}"
    "pre.log{background:#0d1117;color:#e6edf3;padding:.6rem;border-radius:6px;"
    "overflow-x:auto;font:13px/1.45 ui-monospace,monospace;white-space:pre-wrap;"
    "overflow-wrap:anywhere;max-width:100%;box-sizing:border-box}"
    ".state-cancelled,.state-skipped{color:#57606a}.state-running{color:#0550ae}"
    ".ansi-b{font-weight:700}.ansi-d{opacity:.8}.ansi-i{font-style:italic}"
    ".ansi-u{text-decoration:underline}.ansi-cut{color:#ffa198}"
    ".ansi-fg0{color:#8b949e}.ansi-fg1{color:#ff7b72}.ansi-fg2{color:#3fb950}"
    ".ansi-fg3{color:#d29922}.ansi-fg4{color:#79c0ff}.ansi-fg5{color:#d2a8ff}"
    ".ansi-fg6{color:#39c5cf}.ansi-fg7{color:#c9d1d9}.ansi-fg8{color:#8b949e}"
    ".ansi-fg9{color:#ffa198}.ansi-fg10{color:#56d364}.ansi-fg11{color:#e3b341}"
    ".ansi-fg12{color:#a5d6ff}.ansi-fg13{color:#e2c5ff}.ansi-fg14{color:#56d4dd}"
    ".ansi-fg15{color:#f0f6fc}"
    ".ansi-bg0{background:#484f58}.ansi-bg1{background:#8e1519}.ansi-bg2{background:#1a5e2a}"
    ".ansi-bg3{background:#6e4a00}.ansi-bg4{background:#0c3d8a}.ansi-bg5{background:#6e3a9e}"
    ".ansi-bg6{background:#0b5960}.ansi-bg7{background:#6e7681}.ansi-bg8{background:#6e7681}"
    ".ansi-bg9{background:#a40e26}.ansi-bg10{background:#1f6f34}.ansi-bg11{background:#7d5a00}"
    ".ansi-bg12{background:#1158c7}.ansi-bg13{background:#8250df}.ansi-bg14{background:#0f6e76}"
    ".ansi-bg15{background:#6e7681}";

std::string row(std::string_view label, const std::string& html_value) {
  return "<dt>" + std::string(label) + "</dt><dd>" + html_value + "</dd>";
}

std::string action_form(std::int64_t run, std::string_view action, const std::string& csrf,
                        std::string_view label, std::string_view extra = "") {
  return "<form method=\"post\" action=\"/runs/" + std::to_string(run) + "/" + std::string(action) +
         "\"><input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(csrf) + "\">" +
         std::string(extra) + "<button type=\"submit\">" + std::string(label) + "</button></form>";
}

std::string step_html(std::int64_t run, const StepView& s) {
  const std::string i = std::to_string(s.index);
  std::string html = "<section class=\"step\" id=\"step-" + i + "\" aria-labelledby=\"step-" + i +
                     "-name\"><h3 id=\"step-" + i + "-name\">" + html_escape(s.name) +
                     " <span class=\"step-state state-" + html_escape(s.state) + "\">" +
                     html_escape(s.state) + "</span>";
  if (!s.duration.empty()) html += " <small>" + html_escape(s.duration) + "</small>";
  html += "</h3>";
  if (!s.reason.empty() && s.reason != s.state) html += "<p>" + html_escape(s.reason) + "</p>";
  if (!s.log_cut.empty()) {
    html += "<p class=\"log-cut\">" + html_escape(s.log_cut) +
            " The whole log (with your api token as a bearer): <a href=\"/api/v1/runs/" +
            std::to_string(run) + "/log\">/api/v1/runs/" + std::to_string(run) + "/log</a>.</p>";
  }
  // tabindex: a log wider than the window scrolls, and a keyboard must reach it.
  html += "<pre class=\"log\" id=\"log-" + i + "\" tabindex=\"0\" aria-label=\"log of " +
          html_escape(s.name) + "\">" + s.log_html + "</pre></section>";
  return html;
}

}  // namespace

const std::string_view kRunPageStyle = kStyleText;

std::string duration_between(const std::string& from, const std::string& to) {
  auto a = parse_rfc3339(from);
  auto b = parse_rfc3339(to);
  if (!a || !b || *b < *a) return "";
  const auto total = std::chrono::duration_cast<std::chrono::seconds>(*b - *a).count();
  auto two = [](long long n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  if (total < 60) return std::to_string(total) + "s";
  if (total < 3600) return std::to_string(total / 60) + "m " + two(total % 60) + "s";
  return std::to_string(total / 3600) + "h " + two(total % 3600 / 60) + "m";
}

std::string run_page(const RunView& v) {
  const std::string id = std::to_string(v.id);
  std::string html = head("Run " + id + " · " + v.project + " · juanie", kStyleText, v.live);
  html +=
      "<header><nav aria-label=\"site\"><a href=\"/\">All runs</a></nav>"
      "<form method=\"post\" action=\"/sign-out\"><input type=\"hidden\" name=\"csrf\" "
      "value=\"" +
      html_escape(v.csrf) + "\">Signed in as <strong>" + html_escape(v.signed_in_as) +
      "</strong> <button type=\"submit\">Sign out</button></form></header>";
  html += "<main id=\"run\"";
  if (v.live) html += " data-events=\"/runs/" + id + "/events\"";
  html += "><h1>Run " + id + " · " + html_escape(v.project) + "</h1><dl>";
  html += row("State",
              "<span id=\"run-state\" class=\"state-" + html_escape(v.state) + "\">" +
                  html_escape(v.state) + "</span>" +
                  (v.reason.empty() || v.reason == v.state ? "" : " — " + html_escape(v.reason)));
  if (v.pull_request) {
    html += row("Pull request", "#" + std::to_string(*v.pull_request) + " " +
                                    html_escape(v.pull_request_title) + " (" +
                                    html_escape(v.branch) + ")");
  } else {
    html += row("Branch", html_escape(v.branch));
  }
  html += row("Commit", "<code>" + html_escape(v.sha) + "</code>");
  if (!v.commit_message.empty()) {
    html +=
        row("Message", html_escape(v.commit_message) +
                           (v.commit_author.empty() ? "" : " — " + html_escape(v.commit_author)));
  }
  html += row("Environment", v.environment.empty() ? "none" : html_escape(v.environment));
  html += row("Trigger", html_escape(v.trigger) +
                             (v.retry_of ? " of <a href=\"/runs/" + std::to_string(*v.retry_of) +
                                               "\">run " + std::to_string(*v.retry_of) + "</a>"
                                         : ""));
  if (!v.pushed_by.empty()) html += row("Pushed by", html_escape(v.pushed_by));
  html += row("Queued", html_escape(v.created_at));
  if (!v.duration.empty()) html += row("Duration", html_escape(v.duration));
  html += "</dl>";
  if (v.can_cancel || v.can_retry || v.can_retry_failed) {
    html += "<div class=\"actions\">";
    if (v.can_cancel) html += action_form(v.id, "cancel", v.csrf, "Cancel run");
    if (v.can_retry) html += action_form(v.id, "retry", v.csrf, "Retry run");
    if (v.can_retry_failed) {
      html += action_form(v.id, "retry", v.csrf, "Retry from the failed step",
                          "<input type=\"hidden\" name=\"from\" value=\"failed\">");
    }
    html += "</div>";
  }
  html += "<h2>Steps</h2>";
  if (!v.logs_note.empty()) html += "<p>" + html_escape(v.logs_note) + "</p>";
  html += "<div id=\"steps\">";
  if (v.steps.empty()) {
    html += "<p id=\"no-steps\">" +
            std::string(v.live ? "No step has started yet." : "This run ran no step.") + "</p>";
  }
  for (const auto& s : v.steps) html += step_html(v.id, s);
  html += "</div>";
  if (v.live) {
    html +=
        "<p id=\"live-note\" class=\"wide\">This page follows the run as it goes"
        " (reload it to see the latest without script).</p>";
  }
  html += "</main></body></html>";
  return html;
}

}  // namespace juanie::daemon::web
