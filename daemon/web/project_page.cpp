#include "daemon/web/project_page.hpp"

#include "daemon/approvals/approval_page.hpp"
#include "daemon/web/pages.hpp"

namespace juanie::daemon::web {
namespace {

using approvals::html_escape;

std::string deployment_link(std::int64_t id) {
  const std::string n = std::to_string(id);
  return "<a href=\"/deployments/" + n + "\">deployment " + n + "</a>";
}

std::string hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + std::string(name) + "\" value=\"" + html_escape(value) +
         "\">";
}

std::string environments_section(const ProjectView& v) {
  std::string html =
      "<section aria-labelledby=\"environments\"><h2 id=\"environments\">"
      "Environments</h2>";
  if (v.environments.empty()) return html + "<p>No environments.</p></section>";
  html +=
      "<table class=\"env\"><thead><tr><th scope=\"col\">Environment</th>"
      "<th scope=\"col\">Runs now</th>"
      "<th scope=\"col\">Rollout</th><th scope=\"col\">Next</th></tr></thead><tbody>";
  for (const auto& e : v.environments) {
    html += "<tr><th scope=\"row\">" + html_escape(e.name) +
            "<br><small>approval: " + html_escape(e.approval) + "</small></th><td>";
    if (e.current) {
      html += "<code>" + html_escape(e.image) + "</code><br>" + deployment_link(*e.current) +
              ", since " + html_escape(e.since);
    } else {
      html += "nothing deployed yet";
    }
    html += "</td><td class=\"state-" + html_escape(e.state) + "\">" + html_escape(e.state);
    if (e.current) html += " (" + html_escape(e.current_state) + ")";
    if (e.last_rollout && !e.last_rollout_reason.empty()) {
      html += "<br><small>" + deployment_link(*e.last_rollout) + " " +
              html_escape(e.last_rollout_state) + ": " + html_escape(e.last_rollout_reason) +
              "</small>";
    }
    html += "</td><td>";
    if (e.to_trigger) {
      const std::string n = std::to_string(*e.to_trigger);
      html += deployment_link(*e.to_trigger) + " (<code>" + html_escape(e.to_trigger_tag) +
              "</code>) waits for its trigger"
              "<form method=\"post\" action=\"/projects/" +
              html_escape(v.project) + "/trigger\">" + hidden("csrf", v.csrf) +
              hidden("deployment", n) + "<button type=\"submit\">Trigger deployment " + n + " to " +
              html_escape(e.name) + "</button></form>";
    } else if (e.in_flight) {
      html += deployment_link(*e.in_flight) + " " + html_escape(e.in_flight_state) + " (<code>" +
              html_escape(e.in_flight_tag) + "</code>)";
    } else {
      html += "nothing waiting";
    }
    html += "</td></tr>";
  }
  return html + "</tbody></table></section>";
}

std::string waiting_section(const ProjectView& v) {
  std::string html =
      "<section aria-labelledby=\"waiting\"><h2 id=\"waiting\">Approvals waiting"
      "</h2>";
  if (v.waiting.empty()) return html + "<p>No deployment waits for approval.</p></section>";
  html += "<ul>";
  for (const auto& w : v.waiting) {
    html += "<li>" + deployment_link(w.deployment) + " to " + html_escape(w.environment) +
            " (<code>" + html_escape(w.tag) + "</code>): " + std::to_string(w.approvals) + " of " +
            std::to_string(w.required) + " approval(s), until " + html_escape(w.expires_at) +
            "</li>";
  }
  return html + "</ul></section>";
}

std::string start_run_section(const ProjectView& v) {
  return "<section aria-labelledby=\"start\"><h2 id=\"start\">Start a run</h2>"
         "<form method=\"post\" action=\"/projects/" +
         html_escape(v.project) + "/runs\">" + hidden("csrf", v.csrf) +
         "<label for=\"ref\">Branch or tag</label><input id=\"ref\" name=\"ref\" required "
         "value=\"" +
         html_escape(v.ref) +
         "\" autocomplete=\"off\"><p><button type=\"submit\">Start run</button></p></form>"
         "<p>The branch's head is fetched now; the branch rules pick its environment.</p>"
         "</section>";
}

std::string runs_section(const ProjectView& v) {
  std::string html = "<section aria-labelledby=\"runs\"><h2 id=\"runs\">Recent runs</h2>";
  if (v.runs.empty()) return html + "<p>No runs yet.</p></section>";
  html +=
      "<table><thead><tr><th scope=\"col\">Run</th><th scope=\"col\">Branch</th>"
      "<th scope=\"col\" class=\"wide\">Commit</th><th scope=\"col\">Environment</th>"
      "<th scope=\"col\">State</th><th scope=\"col\" class=\"wide\">By</th>"
      "<th scope=\"col\" class=\"wide\">Queued</th></tr></thead><tbody>";
  for (const auto& r : v.runs) {
    const std::string n = std::to_string(r.id);
    html += "<tr><td><a href=\"/runs/" + n + "\">" + n + "</a></td><td>" + html_escape(r.branch) +
            "</td><td class=\"wide\"><code>" + html_escape(r.sha.substr(0, 12)) + "</code> " +
            html_escape(r.subject) + "</td><td>" + html_escape(r.environment) +
            "</td><td class=\"state-" + html_escape(r.state) + "\">" + html_escape(r.state) +
            "</td><td class=\"wide\">" + html_escape(r.pusher) +
            (r.trigger == "manual" ? " (manual)" : "") + "</td><td class=\"wide\">" +
            html_escape(r.created_at) + "</td></tr>";
  }
  return html + "</tbody></table></section>";
}

}  // namespace

std::string project_page(const ProjectView& v) {
  std::string html = head(v.project + " · juanie") +
                     signed_in_header(v.project, v.signed_in_as, v.csrf) +
                     "<main><nav aria-label=\"Pages\"><ul><li><a href=\"/\">All runs</a></li>"
                     "</ul></nav>";
  if (!v.problem.empty()) {
    html += "<p class=\"error\" role=\"alert\">" + html_escape(v.problem) + "</p>";
  }
  html += environments_section(v) + waiting_section(v) + start_run_section(v) + runs_section(v);
  return html + "</main></body></html>\n";
}

}  // namespace juanie::daemon::web
