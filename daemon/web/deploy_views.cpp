#include "daemon/web/deploy_views.hpp"

#include <algorithm>

#include "daemon/api/environment_state.hpp"
#include "daemon/store/approvals.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/runs.hpp"
#include "pipelines/approval_gate.hpp"

namespace juanie::daemon::web {
namespace {

using pipelines::DeploymentState;

constexpr int kRunsShown = 20;
constexpr int kHistory = 100;  // deployments read back per environment (the newest)
constexpr int kWaitingShown = 50;

std::string who_of(const Session& s) {
  return s.person.empty() ? s.token_name : s.person;
}

std::string first_line(const std::optional<std::string>& text) {
  const std::string t = text.value_or("");
  return t.substr(0, t.find('\n'));
}

std::string branch_of(const store::RunRecord& r) {
  const std::string_view ref = r.ref;
  if (!r.branch.empty()) return r.branch;
  return std::string(ref.starts_with("refs/heads/") ? ref.substr(11) : ref);
}

std::optional<pipelines::Gate> gate_for(const config::ProjectConfig& project,
                                        const std::string& environment) {
  const auto* env = project.environment(environment);
  return env ? pipelines::gate_of(*env) : std::nullopt;
}

EnvironmentRow environment_row(const pipelines::Environment& env,
                               const std::vector<store::DeploymentRecord>& history) {
  const auto status = api::environment_status(history);
  EnvironmentRow row;
  row.name = env.name;
  row.approval = pipelines::to_string(env.approval);
  row.state = status.state;
  if (status.current) {
    row.current = status.current->id;
    row.image = status.current->image + ":" + status.current->tag;
    row.current_state = pipelines::to_string(status.current->state);
    row.since = status.current->committed_at.value_or("");
  }
  if (status.in_flight) {
    row.in_flight = status.in_flight->id;
    row.in_flight_state = pipelines::to_string(status.in_flight->state);
    row.in_flight_tag = status.in_flight->tag;
  }
  if (status.last_rollout) {
    row.last_rollout = status.last_rollout->id;
    row.last_rollout_state = pipelines::to_string(status.last_rollout->state);
    row.last_rollout_reason = status.last_rollout->reason.value_or("");
  }
  for (const auto& d : history) {
    if (d.state == DeploymentState::kPending) {
      row.to_trigger = d.id;
      row.to_trigger_tag = d.tag;
      break;
    }
  }
  return row;
}

}  // namespace

Result<ProjectView> project_view(const RouteDeps& deps, const Session& session,
                                 const std::string& name) {
  const auto projects = deps.projects.get();
  const auto it = projects->find(name);
  if (it == projects->end()) return fail(ErrorKind::kNotFound, "There is no project " + name + ".");
  const config::ProjectConfig& project = it->second->config;
  return deps.reader.with([&](store::Database& db) -> Result<ProjectView> {
    ProjectView v;
    v.signed_in_as = who_of(session);
    v.csrf = session.csrf;
    v.project = name;
    for (const auto& env : project.environments) {
      auto history = store::environment_history(db, name, env.name, kHistory);
      if (!history) return std::unexpected(history.error());
      v.environments.push_back(environment_row(env, *history));
    }
    auto waiting = store::list_deployments(db, name, kWaitingShown, std::nullopt,
                                           DeploymentState::kAwaitingApproval);
    if (!waiting) return std::unexpected(waiting.error());
    for (const auto& d : *waiting) {
      auto decided = store::approvals_of(db, d.id);
      if (!decided) return std::unexpected(decided.error());
      const auto gate = gate_for(project, d.environment);
      const int approvals =
          static_cast<int>(std::count_if(decided->begin(), decided->end(), [](const auto& a) {
            return a.decision == pipelines::Decision::kApprove;
          }));
      v.waiting.push_back({d.id, d.environment, d.tag, approvals, gate ? gate->required : 0,
                           d.expires_at.value_or("")});
    }
    auto runs = store::list_runs(db, name, kRunsShown);
    if (!runs) return std::unexpected(runs.error());
    for (const auto& r : *runs) {
      v.runs.push_back({r.id, branch_of(r), r.sha, first_line(r.commit_message),
                        r.environment.value_or(""), std::string(pipelines::to_string(r.state)),
                        r.trigger, r.pusher.value_or(""), r.created_at});
    }
    return v;
  });
}

Result<DeploymentView> deployment_view(const RouteDeps& deps, const Session& session,
                                       std::int64_t id) {
  auto loaded = deps.reader.with([&](store::Database& db) -> Result<DeploymentView> {
    auto found = store::find_deployment(db, id);
    if (!found) return std::unexpected(found.error());
    if (!*found)
      return fail(ErrorKind::kNotFound, "There is no deployment " + std::to_string(id) + ".");
    const store::DeploymentRecord& d = **found;
    DeploymentView v;
    v.id = d.id;
    v.project = d.project;
    v.environment = d.environment;
    v.state = pipelines::to_string(d.state);
    v.reason = d.reason.value_or("");
    v.image = d.image;
    v.tag = d.tag;
    v.digest = d.digest.value_or("");
    v.run = d.run;
    v.triggered_by = d.triggered_by.value_or("");
    if (d.triggered_person && !d.triggered_person->empty() &&
        *d.triggered_person != v.triggered_by) {
      v.triggered_by += " (for " + *d.triggered_person + ")";
    }
    v.triggered_at = d.triggered_at.value_or("");
    v.created_at = d.created_at;
    v.finished_at = d.finished_at.value_or("");
    if (d.state == DeploymentState::kAwaitingApproval) v.expires_at = d.expires_at.value_or("");
    v.gitops_commit = d.gitops_commit.value_or("");
    v.committed_at = d.committed_at.value_or("");
    v.rollback_of = d.rollback_of;
    v.rollback_commit = d.rollback_commit.value_or("");
    auto run = store::find_run(db, d.run);
    if (!run) return std::unexpected(run.error());
    if (*run) {
      v.sha = (*run)->sha;
      v.branch = branch_of(**run);
      v.commit_subject = first_line((*run)->commit_message);
      v.pusher = (*run)->pusher.value_or("");
    }
    auto decided = store::approvals_of(db, d.id);
    if (!decided) return std::unexpected(decided.error());
    for (const auto& a : *decided) {
      v.decisions.push_back({a.approver, std::string(pipelines::to_string(a.decision)), a.comment,
                             a.decided_at, a.via});
    }
    return v;
  });
  if (!loaded) return loaded;
  DeploymentView& v = *loaded;
  v.signed_in_as = who_of(session);
  v.csrf = session.csrf;
  const auto projects = deps.projects.get();
  const auto it = projects->find(v.project);
  const auto gate =
      it == projects->end() ? std::nullopt : gate_for(it->second->config, v.environment);
  if (gate) {
    v.approvers = gate->approvers;
    v.required = gate->required;
  }
  if (v.state != pipelines::to_string(DeploymentState::kAwaitingApproval)) return loaded;
  // Who may decide here is who may decide by link: the environment's approvers, by the name
  // the session's token gives as its person. The flow applies every other rule on POST.
  const bool approver = gate && !session.person.empty() &&
                        std::find(gate->approvers.begin(), gate->approvers.end(), session.person) !=
                            gate->approvers.end();
  if (approver) {
    v.may_decide = true;
  } else if (session.person.empty()) {
    v.why_not = "You signed in with token " + session.token_name +
                ", which names no person: only an approver's own token lets them decide here.";
  } else {
    v.why_not = session.person + " is not an approver of " + v.project + "'s " + v.environment +
                "; only its approvers can decide here.";
  }
  return loaded;
}

}  // namespace juanie::daemon::web
