#include "daemon/web/page_actions.hpp"

#include <memory>

#include "daemon/api/deployment_actions.hpp"
#include "daemon/api/error_status.hpp"
#include "daemon/api/handler_support.hpp"
#include "daemon/api/start_manual_run.hpp"
#include "daemon/approvals/approval_page.hpp"
#include "daemon/http/form.hpp"
#include "daemon/store/approvals.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/web/deploy_views.hpp"
#include "daemon/web/page_handlers.hpp"
#include "daemon/web/page_support.hpp"
#include "daemon/web/pages.hpp"
#include "pipelines/approval_gate.hpp"
#include "pipelines/encoding.hpp"

namespace juanie::daemon::web {
namespace {

constexpr std::string_view kProjects = "/projects/";
constexpr std::string_view kDeployments = "/deployments/";
constexpr std::size_t kMaxComment = 2000;
// sha256:<64 hex> is 71 characters, sha512:<128 hex> 135: a longer one names no image.
constexpr std::size_t kMaxDigest = 160;

http::Response page(int status, std::string html) {
  return html_page(status, std::move(html));
}

http::Response message(int status, std::string_view title, std::string_view text) {
  return page(status, approvals::message_page(title, text));
}

http::Response see(std::string location) {
  http::Response r = page(303, "");
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

// The posted form when it carries this session's CSRF value (compared in constant time).
std::optional<std::map<std::string, std::string>> session_form(const http::Request& req,
                                                               const Session& session) {
  if (!req.header("Content-Type").value_or("").starts_with("application/x-www-form-urlencoded")) {
    return std::nullopt;
  }
  if (!csrf_matches(session, req.body)) return std::nullopt;
  auto form = http::parse_form(req.body, 8);
  if (!form) return std::nullopt;
  return std::move(*form);
}

std::string field(const std::map<std::string, std::string>& form, const std::string& name) {
  const auto it = form.find(name);
  return it == form.end() ? "" : it->second;
}

http::Response not_found(std::string_view what) {
  return message(404, "Not found", what);
}

void show_project(const RouteDeps& deps, const Session& session, const std::string& name,
                  int status, std::string problem, std::string ref, http::Reply reply) {
  auto v = project_view(deps, session, name);
  if (!v) {
    if (v.error().kind == ErrorKind::kNotFound) return reply(not_found(v.error().message));
    return reply(message(503, "Not available", v.error().message));
  }
  v->problem = std::move(problem);
  v->ref = std::move(ref);
  reply(page(status, project_page(*v)));
}

void show_deployment(const RouteDeps& deps, const Session& session, std::int64_t id, int status,
                     std::string outcome, bool refused, http::Reply reply) {
  auto v = deployment_view(deps, session, id);
  if (!v) {
    if (v.error().kind == ErrorKind::kNotFound) return reply(not_found(v.error().message));
    return reply(message(503, "Not available", v.error().message));
  }
  v->outcome = std::move(outcome);
  v->outcome_refused = refused;
  reply(page(status, deployment_page(*v)));
}

void start_run(const RouteDeps& deps, const Session& session, const std::string& project,
               const std::map<std::string, std::string>& form, http::Reply reply) {
  const std::string ref = field(form, "ref");
  if (!deps.projects.get()->contains(project)) return reply(not_found("no project " + project));
  if (ref.empty()) {
    return show_project(deps, session, project, 400,
                        "Name a branch or tag to run (for example main).", ref, std::move(reply));
  }
  api::start_manual_run(
      deps, project, ref, Starter{session.token_name, session.person},
      [&deps, session, project, ref, reply = std::move(reply)](Result<api::StartedRun> run) {
        if (!run) {
          return show_project(deps, session, project, api::http_status(run.error().kind),
                              "The run was not started: " + run.error().message + ".", ref,
                              std::move(reply));
        }
        reply(see("/runs/" + std::to_string(run->run)));
      });
}

void trigger(const RouteDeps& deps, const Session& session, const std::string& project,
             const std::map<std::string, std::string>& form, http::Reply reply) {
  const auto id = api::parse_id(field(form, "deployment"));
  auto d =
      id ? deps.reader.with([&](store::Database& db) { return store::find_deployment(db, *id); })
         : Result<std::optional<store::DeploymentRecord>>(std::nullopt);
  if (!d) return reply(message(503, "Not available", d.error().message));
  if (!*d || (*d)->project != project) {
    return show_project(deps, session, project, 404,
                        "Not triggered: no such deployment of " + project + ".", "",
                        std::move(reply));
  }
  api::change_deployment_state(
      deps, *id, "trigger", session.token_name, session.person,
      [&deps, session, project, id = *id, reply = std::move(reply)](Result<std::string> state) {
        if (!state) {
          return show_project(deps, session, project, api::http_status(state.error().kind),
                              "Not triggered: " + state.error().message + ".", "",
                              std::move(reply));
        }
        reply(see("/deployments/" + std::to_string(id)));
      });
}

// A refusal before the decision reaches the flow (the session's form is not right): recorded
// in the audit log as the links' are, then shown.
void refuse_decision(const RouteDeps& deps, const http::Request& req, const Session& session,
                     std::int64_t id, int status, const std::string& why, http::Reply reply) {
  store::AuditEntry entry{rfc3339(deps.clock.now()),
                          "decide",
                          session.person.empty() ? session.token_name : session.person,
                          id,
                          "refused",
                          std::to_string(status) + ": " + why,
                          req.remote_address,
                          std::string(req.header("User-Agent").value_or("")).substr(0, 300),
                          "page"};
  deps.log.warn({.deployment = id}, "decision on deployment " + std::to_string(id) + " from " +
                                        req.remote_address + " refused (" + std::to_string(status) +
                                        "): " + why);
  deps.writer.submit([entry](store::Database& db) { return store::append_audit(db, entry); },
                     [&deps, session, id, status, why, reply = std::move(reply)](Result<void>) {
                       show_deployment(deps, session, id, status, why, true, std::move(reply));
                     });
}

void decide(const RouteDeps& deps, const http::Request& req, const Session& session,
            std::int64_t id, const std::map<std::string, std::string>& form, http::Reply reply) {
  auto d = deps.reader.with([&](store::Database& db) { return store::find_deployment(db, id); });
  if (!d) return reply(message(503, "Not available", d.error().message));
  // Refused like every other decision, in the audit log: probing for ids leaves a trace.
  if (!*d) {
    return refuse_decision(deps, req, session, id, 404,
                           "There is no deployment " + std::to_string(id) + "; nothing changed",
                           std::move(reply));
  }
  const auto projects = deps.projects.get();
  auto it = projects->find((*d)->project);
  if (it == projects->end()) {
    return refuse_decision(deps, req, session, id, 404,
                           "Project " + (*d)->project +
                               " is no longer configured here, so nobody can decide its "
                               "deployments; nothing changed",
                           std::move(reply));
  }
  // The approver is the person the session's token names, exactly as the environment's
  // `approvers` name them; a token that names nobody approves nothing.
  if (session.person.empty()) {
    return refuse_decision(deps, req, session, id, 403,
                           "The token you signed in with (" + session.token_name +
                               ") names no person, so it cannot decide: sign in with your own",
                           std::move(reply));
  }
  approvals::DecisionRequest request;
  request.claims.deployment = id;
  request.claims.approver = session.person;
  request.claims.environment = (*d)->environment;
  request.claims.digest = field(form, "digest");
  request.decision = field(form, "decision");
  request.comment = field(form, "comment");
  request.source_address = req.remote_address;
  request.user_agent = std::string(req.header("User-Agent").value_or("")).substr(0, 300);
  request.via = "page";
  if (request.comment.size() > kMaxComment) {
    return refuse_decision(deps, req, session, id, 400,
                           "Keep the comment under " + std::to_string(kMaxComment) + " characters",
                           std::move(reply));
  }
  // The page's form says approve or reject and carries the digest it showed: anything else
  // is not from it, and goes no further than an audit row of bounded size.
  if (!pipelines::parse_decision(request.decision)) {
    return refuse_decision(deps, req, session, id, 400,
                           "Choose approve or reject (the form said " +
                               pipelines::quoted_excerpt(request.decision, 32) +
                               "); nothing changed",
                           std::move(reply));
  }
  if (request.claims.digest.size() > kMaxDigest) {
    return refuse_decision(deps, req, session, id, 400,
                           "The form's image digest is longer than any digest (" +
                               std::to_string(kMaxDigest) + " characters); nothing changed",
                           std::move(reply));
  }
  auto project = it->second;  // kept alive across a reload until the write is done
  auto outcome = std::make_shared<approvals::DecisionOutcome>();
  deps.writer.submit(
      [&deps, project, request, outcome,
       now = deps.clock.now()](store::Database& db) -> Result<void> {
        auto r = deps.flow.decide(db, project->config, request, now);
        if (!r) return std::unexpected(r.error());
        *outcome = *r;
        return {};
      },
      [&deps, session, id, request, outcome, reply = std::move(reply)](Result<void> ok) {
        if (!ok) {
          deps.log.error({.deployment = id}, "decision of " + request.claims.approver +
                                                 " on deployment " + std::to_string(id) +
                                                 " not recorded: " + ok.error().message);
          return show_deployment(deps, session, id, 503,
                                 "Your decision could not be stored; nothing changed. Try again.",
                                 true, std::move(reply));
        }
        deps.log.info({.deployment = id},
                      "status page decision of " + request.claims.approver + " (" +
                          session.token_name + ") on deployment " + std::to_string(id) + " from " +
                          request.source_address + ": " + std::to_string(outcome->status) + " " +
                          outcome->title);
        if (outcome->status == 200 && deps.on_deployments_changed) deps.on_deployments_changed();
        show_deployment(deps, session, id, outcome->status,
                        outcome->title + ": " + outcome->message, outcome->status != 200,
                        std::move(reply));
      });
}

http::Response not_allowed(std::string_view allow) {
  auto r = message(405, "Method not allowed", "Use the page's links and forms.");
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

}  // namespace

bool is_deploy_page_path(std::string_view path) {
  return (path.starts_with(kProjects) && path.size() > kProjects.size()) ||
         (path.starts_with(kDeployments) && path.size() > kDeployments.size());
}

void deploy_page(const RouteDeps& deps, const http::Request& req, http::Reply reply) {
  const std::string_view path = req.path();
  const bool get = req.method == "GET" || req.method == "HEAD";
  const bool post = req.method == "POST";
  if (!get && !post) return reply(not_allowed("GET, POST"));
  auto session = session_of(deps, req);
  if (!session) {
    if (post) return reply(page(403, sign_in_page("Sign in first: that form needs a session.")));
    return reply(page(200, sign_in_page(std::nullopt, path)));  // back here once signed in
  }
  const bool projects = path.starts_with(kProjects);
  std::string_view rest = path.substr(projects ? kProjects.size() : kDeployments.size());
  const auto slash = rest.find('/');
  const std::string name(rest.substr(0, slash));
  const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const bool known_action =
      action.empty() || (projects ? action == "runs" || action == "trigger" : action == "decide");
  std::optional<std::int64_t> id;
  if (!projects) id = api::parse_id(name);
  if (!known_action || (!projects && !id)) return reply(not_found("No such page."));
  if (action.empty()) {
    if (!get) return reply(not_allowed("GET"));
    if (projects) return show_project(deps, *session, name, 200, "", "", std::move(reply));
    return show_deployment(deps, *session, *id, 200, "", false, std::move(reply));
  }
  if (!post) return reply(not_allowed("POST"));
  auto form = session_form(req, *session);
  if (!form) {
    const std::string why =
        "The form is not from this session's page (its check value is "
        "missing or wrong); nothing changed";
    if (!projects) return refuse_decision(deps, req, *session, *id, 403, why, std::move(reply));
    return reply(message(403, "Refused", why + "."));
  }
  if (!projects) return decide(deps, req, *session, *id, *form, std::move(reply));
  if (action == "runs") return start_run(deps, *session, name, *form, std::move(reply));
  trigger(deps, *session, name, *form, std::move(reply));
}

}  // namespace juanie::daemon::web
