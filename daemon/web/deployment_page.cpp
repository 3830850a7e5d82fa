#include "daemon/web/deployment_page.hpp"

#include "daemon/approvals/approval_page.hpp"
#include "daemon/web/pages.hpp"

namespace juanie::daemon::web {
namespace {

using approvals::html_escape;

std::string item(std::string_view name, const std::string& value_html) {
  return "<dt>" + std::string(name) + "</dt><dd>" + value_html + "</dd>";
}

std::string code(std::string_view text) {
  return "<code>" + html_escape(text) + "</code>";
}

std::string hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + std::string(name) + "\" value=\"" + html_escape(value) +
         "\">";
}

std::string fields(const DeploymentView& v) {
  std::string html = "<dl>";
  html += item("Project", "<a href=\"/projects/" + html_escape(v.project) + "\">" +
                              html_escape(v.project) + "</a>");
  html += item("Environment", html_escape(v.environment));
  html +=
      item("State", "<strong class=\"state-" + html_escape(v.state) + "\">" + html_escape(v.state) +
                        "</strong>" + (v.reason.empty() ? "" : " — " + html_escape(v.reason)));
  html += item("Image", code(v.image + ":" + v.tag));
  if (!v.digest.empty()) html += item("Digest", code(v.digest));
  const std::string run = std::to_string(v.run);
  html += item("Run", "<a href=\"/runs/" + run + "\">run " + run + "</a> of " + code(v.sha) +
                          " on " + html_escape(v.branch) +
                          (v.commit_subject.empty() ? "" : "<br>" + html_escape(v.commit_subject)));
  if (!v.pusher.empty()) html += item("Pushed by", html_escape(v.pusher));
  html += item("Triggered by", v.triggered_by.empty() ? "(deployed on push)"
                                                      : html_escape(v.triggered_by) + ", " +
                                                            html_escape(v.triggered_at));
  html += item("Recorded", html_escape(v.created_at));
  if (!v.expires_at.empty()) html += item("Waits for approval until", html_escape(v.expires_at));
  if (!v.gitops_commit.empty()) {
    html += item("GitOps commit", code(v.gitops_commit) + ", " + html_escape(v.committed_at));
  }
  if (!v.finished_at.empty()) html += item("Finished", html_escape(v.finished_at));
  if (v.rollback_of) {
    const std::string n = std::to_string(*v.rollback_of);
    html += item("Rolls back", "<a href=\"/deployments/" + n + "\">deployment " + n + "</a>");
  }
  if (!v.rollback_commit.empty()) html += item("Rolled back by", code(v.rollback_commit));
  return html + "</dl>";
}

std::string approvals_section(const DeploymentView& v) {
  std::string html = "<section aria-labelledby=\"approvals\"><h2 id=\"approvals\">Approvals</h2>";
  if (v.approvers.empty()) {
    html += "<p>" + html_escape(v.environment) + " deploys without approval.</p>";
  } else {
    std::string names;
    for (const auto& a : v.approvers) names += (names.empty() ? "" : ", ") + a;
    html += "<p>" + std::to_string(v.required) + " approval(s) needed from " + html_escape(names) +
            ".</p>";
  }
  if (!v.decisions.empty()) {
    html +=
        "<table><thead><tr><th scope=\"col\">Approver</th><th scope=\"col\">Decision</th>"
        "<th scope=\"col\">When</th><th scope=\"col\">How</th><th scope=\"col\">Comment</th>"
        "</tr></thead><tbody>";
    for (const auto& d : v.decisions) {
      html += "<tr><td>" + html_escape(d.approver) + "</td><td>" + html_escape(d.decision) +
              "</td><td>" + html_escape(d.at) + "</td><td>via " + html_escape(d.via) + "</td><td>" +
              html_escape(d.comment) + "</td></tr>";
    }
    html += "</tbody></table>";
  }
  if (v.may_decide) {
    html += "<form method=\"post\" action=\"/deployments/" + std::to_string(v.id) + "/decide\">" +
            hidden("csrf", v.csrf) + hidden("digest", v.digest) +
            "<label for=\"comment\">Comment (optional)</label>"
            "<textarea id=\"comment\" name=\"comment\" maxlength=\"2000\"></textarea>"
            "<p class=\"actions\"><button class=\"approve\" type=\"submit\" name=\"decision\" "
            "value=\"approve\">Approve</button><button class=\"reject\" type=\"submit\" "
            "name=\"decision\" value=\"reject\">Reject</button></p></form>";
  } else if (!v.why_not.empty()) {
    html += "<p>" + html_escape(v.why_not) + "</p>";
  }
  return html + "</section>";
}

}  // namespace

std::string deployment_page(const DeploymentView& v) {
  const std::string title = "Deployment " + std::to_string(v.id);
  std::string html = head(title + " · juanie") + signed_in_header(title, v.signed_in_as, v.csrf) +
                     "<main><nav aria-label=\"Pages\"><ul><li><a href=\"/\">All runs</a></li>"
                     "<li><a href=\"/projects/" +
                     html_escape(v.project) + "\">" + html_escape(v.project) +
                     "</a></li></ul></nav>";
  if (!v.outcome.empty()) {
    html += v.outcome_refused
                ? "<p class=\"error\" role=\"alert\">" + html_escape(v.outcome) + "</p>"
                : "<p class=\"notice\" role=\"status\">" + html_escape(v.outcome) + "</p>";
  }
  html += fields(v) + approvals_section(v);
  return html + "</main></body></html>\n";
}

}  // namespace juanie::daemon::web
