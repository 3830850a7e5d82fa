#include "daemon/approvals/approval_desk.hpp"

#include <memory>

#include "daemon/approvals/approval_page.hpp"
#include "daemon/deploy/gitops_change.hpp"
#include "daemon/http/form.hpp"
#include "daemon/store/approvals.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/support/crypto.hpp"
#include "pipelines/approval_gate.hpp"

namespace juanie::daemon::approvals {
namespace {

constexpr std::string_view kPrefix = "/approve/";
constexpr std::size_t kMaxComment = 2000;

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

http::Response page_response(int status, std::string html) {
  http::Response r{status, "text/html; charset=utf-8", std::move(html), {}};
  r.headers = {{"Cache-Control", "no-store"},
               {"Referrer-Policy", "no-referrer"},
               {"Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'"},
               {"X-Frame-Options", "DENY"},
               {"X-Content-Type-Options", "nosniff"}};
  return r;
}

void ApprovalDesk::count(std::string_view reason) const {
  if (deps_.metrics) deps_.metrics->approval_refused(reason);
}

std::expected<LinkClaims, http::Response> ApprovalDesk::claims_of(const http::Request& req) const {
  const std::string token(req.path().substr(kPrefix.size()));
  auto claims = verify_link(token, deps_.flow.keys());
  if (claims) return *claims;
  count("invalid_link");
  if (auto suppressed = invalid_links_.admit(deps_.clock.now())) {
    deps_.log.warn("approval link refused (403) from " + req.remote_address + ": " +
                   claims.error().message +
                   (*suppressed ? " (and " + std::to_string(*suppressed) +
                                      " more since the last such line, not logged)"
                                : ""));
  }
  const std::string message = claims.error().message + ". Use the link exactly as you received it.";
  return std::unexpected(page_response(403, message_page("This link is not valid", message)));
}

std::optional<http::Response> ApprovalDesk::screen(const http::Request& req) const {
  auto claims = claims_of(req);
  if (claims) return std::nullopt;
  return std::move(claims.error());
}

void ApprovalDesk::handle(const http::Request& req, http::Reply reply) const {
  const std::string_view path = req.path();
  if (req.method != "GET" && req.method != "POST") {
    auto r =
        page_response(405, message_page("Method not allowed", "Open the link, then use the form."));
    r.headers.emplace_back("Allow", "GET, POST");
    return reply(std::move(r));
  }
  auto claims = claims_of(req);
  if (!claims) return reply(std::move(claims.error()));
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(deps_.clock.now().time_since_epoch())
          .count();
  if (claims->expires <= now) {
    const std::string message =
        "This approval link expired at " +
        rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(claims->expires))) +
        ". Nothing was recorded.";
    if (req.method == "POST") {
      return refuse(req, claims->approver, claims->deployment, "expired", 410,
                    "This link has expired", message, std::move(reply));
    }
    count("expired");
    return reply(page_response(410, message_page("This link has expired", message)));
  }
  if (req.method == "GET") {
    return reply(show(*claims, std::string(path), req.query("decision").value_or("")));
  }
  decide(req, *claims, std::move(reply));
}

http::Response ApprovalDesk::show(const LinkClaims& c, const std::string& action,
                                  const std::string& preselected) const {
  struct Loaded {
    std::optional<store::DeploymentRecord> deployment;
    std::optional<store::RunRecord> run;
    std::vector<store::ApprovalRecord> decisions;
    bool used = false;
  };
  auto loaded = deps_.reader.with([&](store::Database& db) -> Result<Loaded> {
    Loaded l;
    auto d = store::find_deployment(db, c.deployment);
    if (!d) return std::unexpected(d.error());
    l.deployment = *d;
    if (!*d) return l;
    auto run = store::find_run(db, (*d)->run);
    if (!run) return std::unexpected(run.error());
    l.run = *run;
    auto decisions = store::approvals_of(db, c.deployment);
    if (!decisions) return std::unexpected(decisions.error());
    l.decisions = std::move(*decisions);
    auto used = store::nonce_used(db, c.nonce);
    if (!used) return std::unexpected(used.error());
    l.used = *used;
    return l;
  });
  if (!loaded) {
    return page_response(503, message_page("Try again shortly", "The store could not be read."));
  }
  const auto projects = deps_.projects.get();
  const auto& d = loaded->deployment;
  const auto project_it = d ? projects->find(d->project) : projects->end();
  if (!d || d->environment != c.environment || project_it == projects->end()) {
    return page_response(
        403, message_page("This link is not for this deployment",
                          "The link names a deployment that does not match the one on record."));
  }
  const config::ProjectConfig& project = project_it->second->config;
  PageView v;
  v.action = action;
  v.csrf = csrf_value(c, deps_.flow.keys());
  v.approver = c.approver;
  v.project = d->project;
  v.environment = d->environment;
  v.deployment = std::to_string(d->id);
  v.image = d->image;
  v.tag = d->tag;
  v.digest = d->digest.value_or("");
  if (loaded->run) {
    v.sha = loaded->run->sha;
    v.branch = loaded->run->branch;
    v.commit_subject = first_line(loaded->run->commit_message.value_or(""));
    v.commit_author = loaded->run->commit_author.value_or("");
    v.pusher = loaded->run->pusher.value_or("");
  }
  v.triggered_by = d->triggered_by.value_or("");
  if (d->triggered_person && *d->triggered_person != v.triggered_by) {
    v.triggered_by += " (for " + *d->triggered_person + ")";
  }
  v.gitops_repository = project.gitops_url;
  v.gitops_branch = project.gitops_branch;
  store::RunRecord run = loaded->run.value_or(store::RunRecord{});
  run.id = d->run;
  if (auto change = gitops_change_for(project, *d, run)) {
    v.gitops_path = change->path;
    v.gitops_change = "images[name=" + change->image.name + "]." + change->image.field + ": " +
                      change->image.value + ", digest: " + change->digest;
    v.gitops_message = change->message;
  } else {
    v.gitops_path = project.gitops_path;
    v.gitops_change = "cannot be made: " + change.error().message;
  }
  v.expires_at = d->expires_at.value_or("");
  if (const auto* env = project.environment(d->environment)) {
    if (auto gate = pipelines::gate_of(*env)) v.required = gate->required;
  }
  for (const auto& a : loaded->decisions)
    v.decisions.push_back(
        {a.approver, std::string(pipelines::to_string(a.decision)), a.comment, a.decided_at});
  v.preselected = preselected;
  int status = 200;
  if (loaded->used) {
    v.closed = "You have used this link: your decision is recorded above.";
    status = 409;
  } else if (d->digest.value_or("") != c.digest) {
    v.closed = "The image changed since this link was made; it cannot approve this one.";
    status = 409;
  } else if (d->state != pipelines::DeploymentState::kAwaitingApproval) {
    v.closed = "This deployment is " + std::string(pipelines::to_string(d->state)) +
               (d->reason ? " (" + *d->reason + ")" : "") + " and no longer waits for approval.";
    status = 409;
  }
  return page_response(status, approval_page(v));
}

void ApprovalDesk::refuse(const http::Request& req, const std::string& approver,
                          std::optional<std::int64_t> deployment, std::string_view reason,
                          int status, const std::string& title, const std::string& message,
                          http::Reply reply) const {
  count(reason);
  deps_.log.warn({.deployment = deployment},
                 "approval refused (" + std::to_string(status) + ") from " + req.remote_address +
                     (deployment ? " for deployment " + std::to_string(*deployment) : "") + ": " +
                     message);
  store::AuditEntry entry{rfc3339(deps_.clock.now()),
                          "decide",
                          approver,
                          deployment,
                          "refused",
                          std::to_string(status) + ": " + message,
                          req.remote_address,
                          std::string(req.header("User-Agent").value_or("")).substr(0, 300),
                          "link"};
  deps_.writer.submit([entry](store::Database& db) { return store::append_audit(db, entry); },
                      [reply = std::move(reply), status, title, message](Result<void>) {
                        reply(page_response(status, message_page(title, message)));
                      });
}

void ApprovalDesk::decide(const http::Request& req, const LinkClaims& c, http::Reply reply) const {
  const auto type = req.header("Content-Type").value_or("");
  if (!type.starts_with("application/x-www-form-urlencoded")) {
    return refuse(req, c.approver, c.deployment, "bad_form", 415, "Use the form",
                  "The decision must be posted from the approval page's form.", std::move(reply));
  }
  auto form = http::parse_form(req.body, 8);
  if (!form) {
    return refuse(req, c.approver, c.deployment, "bad_form", 400, "The form could not be read",
                  form.error().message + ".", std::move(reply));
  }
  const auto csrf = form->find("csrf");
  if (csrf == form->end() || !constant_time_equal(csrf->second, csrf_value(c, deps_.flow.keys()))) {
    return refuse(
        req, c.approver, c.deployment, "bad_form", 403, "The form is not from this page",
        "The form's check value is missing or wrong: open the link and decide from its page.",
        std::move(reply));
  }
  DecisionRequest request;
  request.claims = c;
  if (auto it = form->find("decision"); it != form->end()) request.decision = it->second;
  if (auto it = form->find("comment"); it != form->end()) request.comment = it->second;
  if (request.comment.size() > kMaxComment) {
    return refuse(req, c.approver, c.deployment, "bad_form", 400, "The comment is too long",
                  "Keep the comment under " + std::to_string(kMaxComment) + " characters.",
                  std::move(reply));
  }
  if (!pipelines::parse_decision(request.decision)) {
    return refuse(req, c.approver, c.deployment, "bad_form", 400, choose_decision_text().title,
                  undecided_text(request.decision), std::move(reply));
  }
  request.source_address = req.remote_address;
  request.user_agent = std::string(req.header("User-Agent").value_or("")).substr(0, 300);

  // The project the deployment belongs to, for its policy.
  auto found = deps_.reader.with(
      [&](store::Database& db) { return store::find_deployment(db, c.deployment); });
  if (!found)
    return reply(
        page_response(503, message_page("Try again shortly", "The store could not be read.")));
  const auto projects = deps_.projects.get();
  auto project_it = *found ? projects->find((*found)->project) : projects->end();
  if (project_it == projects->end()) {
    return refuse(req, c.approver, c.deployment, "wrong_deployment", 403,
                  "This link is not for this deployment",
                  "The link names a deployment that does not match the one on record.",
                  std::move(reply));
  }
  auto project = project_it->second;  // kept alive across a reload until the write is done
  auto outcome = std::make_shared<DecisionOutcome>();
  const auto now = deps_.clock.now();
  deps_.writer.submit(
      [this, project, request, outcome, now](store::Database& db) -> Result<void> {
        auto r = deps_.flow.decide(db, project->config, request, now);
        if (!r) return std::unexpected(r.error());
        *outcome = *r;
        return {};
      },
      [this, outcome, request, reply = std::move(reply)](Result<void> ok) {
        if (!ok) {
          deps_.log.error({.deployment = request.claims.deployment},
                          "approval of deployment " + std::to_string(request.claims.deployment) +
                              " not recorded: " + ok.error().message);
          return reply(page_response(
              503, message_page("Not recorded, try again",
                                "Your decision could not be stored; nothing changed.")));
        }
        deps_.log.info({.deployment = request.claims.deployment},
                       "approval link of " + request.claims.approver + " for deployment " +
                           std::to_string(request.claims.deployment) + " from " +
                           request.source_address + ": " + std::to_string(outcome->status) + " " +
                           outcome->title);
        if (outcome->status == 200 && deps_.on_decided) deps_.on_decided();
        reply(page_response(outcome->status, message_page(outcome->title, outcome->message)));
      });
}

}  // namespace juanie::daemon::approvals
