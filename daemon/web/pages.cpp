#include "daemon/web/pages.hpp"

#include "daemon/approvals/approval_page.hpp"

namespace juanie::daemon::web {
namespace {

using approvals::html_escape;

constexpr std::string_view kStyle =
    "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;"
    "padding:0 1rem;color:#1b1f23}h1{font-size:1.4rem}header{display:flex;flex-wrap:wrap;"
    "justify-content:space-between;align-items:center;gap:.5rem}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem .3rem 0;"
    "border-bottom:1px solid #d0d7de;vertical-align:top}th{color:#57606a;font-weight:500}"
    "code{font:13px ui-monospace,monospace;overflow-wrap:anywhere}"
    "label{display:block;margin:.5rem 0 .2rem}input{font-size:1rem;padding:.4rem;width:100%;"
    "max-width:28rem;box-sizing:border-box}button{font-size:1rem;padding:.45rem 1.2rem;"
    "border-radius:6px;border:1px solid #57606a;background:#f6f8fa;color:#1b1f23;"
    "cursor:pointer}.error{color:#a40e26}.state-succeeded{color:#116329}"
    ".state-failed{color:#a40e26}@media (max-width:40rem){.wide{display:none}}"
    "nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1rem}"
    "a{color:#0550ae}.notice{background:#dafbe1;padding:.5rem}section{margin:1.5rem 0}"
    "h2{font-size:1.15rem}textarea{width:100%;max-width:28rem;min-height:3rem;font:inherit}"
    "td form{margin:0}.actions button{margin:.2rem .6rem .2rem 0}"
    ".approve{background:#1f883d;color:#fff;border-color:#1a7f37}"
    ".reject{background:#cf222e;color:#fff;border-color:#a40e26}"
    "dl{display:grid;grid-template-columns:minmax(6rem,11rem) 1fr;gap:.2rem .8rem}"
    "dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}.env td{overflow-wrap:anywhere}";

}  // namespace

std::string head(std::string_view title, std::string_view style, bool script) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width\">"
         "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
         html_escape(title) + "</title><style>" + std::string(kStyle) + std::string(style) +
         "</style>" + (script ? "<script src=\"/assets/juanie.js\" defer></script>" : "") +
         "</head><body>";
}

std::string signed_in_header(std::string_view heading, std::string_view who,
                             std::string_view csrf) {
  return "<header><h1>" + html_escape(heading) +
         "</h1><form method=\"post\" action=\"/sign-out\">"
         "<input type=\"hidden\" name=\"csrf\" value=\"" +
         html_escape(csrf) + "\">Signed in as <strong>" + html_escape(who) +
         "</strong> <button type=\"submit\">Sign out</button></form></header>";
}

std::string sign_in_page(std::optional<std::string_view> problem, std::string_view next) {
  std::string html = head("Sign in · juanie") + "<main><h1>Sign in to juanie</h1>";
  if (problem) html += "<p class=\"error\" role=\"alert\">" + html_escape(*problem) + "</p>";
  html +=
      "<form method=\"post\" action=\"/sign-in\">" +
      (next == "/" ? std::string()
                   : "<input type=\"hidden\" name=\"next\" value=\"" + html_escape(next) + "\">") +
      "<label for=\"token\">API token</label>"
      "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" "
      "required><p><button type=\"submit\">Sign in</button></p></form>"
      "<p>Use a token listed under <code>api_tokens</code> in the daemon's configuration.</p>"
      "</main></body></html>";
  return html;
}

std::string runs_table(const std::vector<RunRow>& runs) {
  if (runs.empty()) return "<p>No runs yet.</p>";
  std::string html =
      "<table><caption class=\"wide\">Newest first</caption><thead><tr><th scope=\"col\">Run"
      "</th><th scope=\"col\">Project</th><th scope=\"col\">Branch</th><th scope=\"col\" "
      "class=\"wide\">Commit</th><th scope=\"col\">Environment</th><th scope=\"col\">State"
      "</th><th scope=\"col\" class=\"wide\">Queued</th></tr></thead><tbody>";
  for (const auto& r : runs) {
    const std::string id = std::to_string(r.id);
    html += "<tr><td><a href=\"/runs/" + id + "\">" + id + "</a></td><td>" +
            html_escape(r.project) + "</td><td>" + html_escape(r.branch) +
            "</td><td class=\"wide\"><code>" + html_escape(r.sha.substr(0, 12)) +
            "</code></td><td>" + html_escape(r.environment) + "</td><td class=\"state-" +
            html_escape(r.state) + "\">" + html_escape(r.state) + "</td><td class=\"wide\">" +
            html_escape(r.created_at) + "</td></tr>";
  }
  return html + "</tbody></table>";
}

std::string home_page(const HomeView& v) {
  std::string html =
      head("Runs · juanie", "", true) + signed_in_header("Runs", v.signed_in_as, v.csrf) + "<main>";
  if (!v.projects.empty()) {
    html += "<nav aria-label=\"Projects\"><ul>";
    for (const auto& p : v.projects) {
      html += "<li><a href=\"/projects/" + html_escape(p) + "\">" + html_escape(p) + "</a></li>";
    }
    html += "</ul></nav>";
  }
  html += "<div id=\"runs\" data-refresh=\"/runs/table\">" + runs_table(v.runs) + "</div>";
  html += "</main></body></html>";
  return html;
}

}  // namespace juanie::daemon::web
