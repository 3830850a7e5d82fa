#include "daemon/approvals/approval_page.hpp"

#include "pipelines/encoding.hpp"

namespace juanie::daemon::approvals {
namespace {

constexpr std::string_view kStyle =
    "body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "color:#1b1f23}h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}"
    "th{text-align:left;width:11rem;vertical-align:top;color:#57606a;font-weight:500}"
    "@media (max-width:30rem){th{width:6.5rem}}"
    "td,th{padding:.25rem .5rem .25rem 0}code,pre{font:13px ui-monospace,monospace;"
    "background:#f6f8fa;padding:.1rem .3rem;overflow-wrap:anywhere}"
    "pre{padding:.6rem;white-space:pre-wrap}"
    "textarea{width:100%;min-height:4rem}button{font-size:1rem;padding:.5rem 1.4rem;"
    "margin-right:.8rem;border-radius:6px;border:1px solid #999;cursor:pointer}"
    ".approve{background:#1f883d;color:#fff}.reject{background:#cf222e;color:#fff}"
    ".note{color:#57606a}.closed{background:#fff8c5;padding:.6rem}";

std::string head(std::string_view title) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width\">"
         "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
         html_escape(title) + "</title><style>" + std::string(kStyle) + "</style></head><body>";
}

std::string row(std::string_view name, std::string_view value_html) {
  return "<tr><th>" + std::string(name) + "</th><td>" + std::string(value_html) + "</td></tr>";
}

std::string code(std::string_view text) {
  return "<code>" + html_escape(text) + "</code>";
}

}  // namespace

void append_html_escaped(std::string& out, char c) {
  switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out.push_back(c);
  }
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) append_html_escaped(out, c);
  return out;
}

std::string approval_page(const PageView& v) {
  const std::string title = "Deploy " + v.project + " to " + v.environment;
  std::string html = head(title);
  html += "<h1>" + html_escape(title) + "</h1>";
  html += "<p>" + html_escape(v.approver) + ", deployment " + html_escape(v.deployment) +
          " waits for approval (" + std::to_string(v.required) + " needed).</p><table>";
  html += row("Project", html_escape(v.project));
  html += row("Environment", html_escape(v.environment));
  html += row("Image", code(v.image + ":" + v.tag));
  if (!v.digest.empty()) html += row("Digest", code(v.digest));
  html += row("Source commit",
              code(v.sha) + " on " + html_escape(v.branch) +
                  (v.commit_subject.empty() ? "" : "<br>" + html_escape(v.commit_subject)));
  if (!v.commit_author.empty()) html += row("Commit author", html_escape(v.commit_author));
  if (!v.pusher.empty()) html += row("Pushed by", html_escape(v.pusher));
  html += row("Triggered by",
              v.triggered_by.empty() ? "(deployed on push)" : html_escape(v.triggered_by));
  html += row("Link valid until", html_escape(v.expires_at));
  html += "</table><h2>The change that will be committed</h2><table>";
  html += row("Repository", code(v.gitops_repository) + " branch " + code(v.gitops_branch));
  html += row("File", code(v.gitops_path));
  html += row("Change", code(v.gitops_change));
  html += "</table><pre>" + html_escape(v.gitops_message) + "</pre>";
  html += "<h2>Decisions so far</h2>";
  if (v.decisions.empty()) {
    html += "<p class=\"note\">None yet.</p>";
  } else {
    html += "<table>";
    for (const auto& d : v.decisions) {
      html += row(html_escape(d.approver),
                  html_escape(d.decision) + " at " + html_escape(d.at) +
                      (d.comment.empty() ? "" : ": " + html_escape(d.comment)));
    }
    html += "</table>";
  }
  if (!v.closed.empty()) {
    html += "<p class=\"closed\">" + html_escape(v.closed) + "</p>";
  } else {
    const std::string approve =
        "<button class=\"approve\" type=\"submit\" name=\"decision\" "
        "value=\"approve\">Approve</button>";
    const std::string reject =
        "<button class=\"reject\" type=\"submit\" name=\"decision\" "
        "value=\"reject\">Reject</button>";
    html += "<form method=\"post\" action=\"" + html_escape(v.action) + "\">";
    html += "<input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(v.csrf) + "\">";
    html +=
        "<p><label for=\"comment\">Comment (optional)</label><br>"
        "<textarea id=\"comment\" name=\"comment\" maxlength=\"2000\"></textarea></p><p>";
    html += v.preselected == "reject" ? reject + approve : approve + reject;
    html +=
        "</p><p class=\"note\">Opening this page changed nothing. The link records one "
        "decision, yours, with the time and your address.</p></form>";
  }
  html += "</body></html>\n";
  return html;
}

std::string message_page(std::string_view title, std::string_view message) {
  return head(title) + "<h1>" + html_escape(title) + "</h1><p>" + html_escape(message) +
         "</p></body></html>\n";
}

PageText link_not_for_deployment_text() {
  return {"This link is not for this deployment",
          "The link names a deployment that does not match the one on record."};
}

PageText image_changed_text() {
  return {"The image changed",
          "The image of this deployment is not the one this link was made for; "
          "nothing was recorded."};
}

PageText link_used_text() {
  return {"This link has been used",
          "A decision was already recorded with this link. Each link works once."};
}

PageText no_longer_waiting_text(std::int64_t deployment, std::string_view state,
                                const std::optional<std::string>& reason) {
  return {"Nothing to decide", "Deployment " + std::to_string(deployment) + " is " +
                                   std::string(state) + (reason ? " (" + *reason + ")" : "") +
                                   "; it no longer waits for approval."};
}

PageText choose_decision_text() {
  return {"Choose approve or reject", "The form did not say approve or reject."};
}

std::string undecided_text(std::string_view posted) {
  if (posted.empty()) return choose_decision_text().message;
  return "The form did not say approve or reject (it said " +
         pipelines::quoted_excerpt(posted, 32) + ").";
}

PageText expired_text(std::string_view deadline) {
  return {"Too late to decide", "The deployment waited for approval until " +
                                    std::string(deadline) + "; nothing was recorded."};
}

PageText gate_removed_text(std::string_view environment) {
  return {"Nothing to decide",
          "Environment " + std::string(environment) + " no longer asks for approval."};
}

PageText refused_decision_text(bool twice, std::string_view why) {
  return {twice ? "Already decided" : "You cannot decide this deployment", std::string(why) + "."};
}

PageText rejected_text(std::int64_t deployment, std::string_view environment) {
  return {"Rejected", "Deployment " + std::to_string(deployment) + " to " +
                          std::string(environment) + " is cancelled. Your rejection is recorded."};
}

PageText approved_final_text(std::string_view image, std::string_view tag,
                             std::string_view environment) {
  return {"Approved", "Your approval completes the gate: " + std::string(image) + ":" +
                          std::string(tag) + " is being committed to " + std::string(environment) +
                          "."};
}

PageText approved_waiting_text(int approvals, int required) {
  return {"Approved", "Your approval is recorded (" + std::to_string(approvals) + " of " +
                          std::to_string(required) + "); the deployment waits for the rest."};
}

}  // namespace juanie::daemon::approvals
