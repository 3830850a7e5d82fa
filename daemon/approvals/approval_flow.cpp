#include "daemon/approvals/approval_flow.hpp"

#include "daemon/approvals/approval_page.hpp"
#include "daemon/store/approvals.hpp"
#include "daemon/support/clock.hpp"
#include "pipelines/encoding.hpp"

namespace juanie::daemon::approvals {
namespace {

using pipelines::DeploymentState;

std::string id_text(std::int64_t id) {
  return std::to_string(id);
}

Result<store::DeploymentRecord> load(store::Database& db, std::int64_t id) {
  auto found = store::find_deployment(db, id);
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail(ErrorKind::kNotFound, "no deployment " + id_text(id));
  return std::move(**found);
}

Result<std::optional<store::RunRecord>> run_of(store::Database& db,
                                               const store::DeploymentRecord& d) {
  return store::find_run(db, d.run);
}

std::vector<pipelines::Recorded> recorded(const std::vector<store::ApprovalRecord>& list) {
  std::vector<pipelines::Recorded> out;
  for (const auto& a : list) {
    out.push_back({a.approver, a.decision});
  }
  return out;
}

DecisionOutcome refusal(int status, PageText text) {
  return DecisionOutcome{status, std::move(text.title), std::move(text.message), Next::kWait};
}

DecisionOutcome answer(PageText text, Next next) {
  return DecisionOutcome{200, std::move(text.title), std::move(text.message), next};
}

}  // namespace

std::string page_nonce(std::int64_t deployment, const std::string& approver) {
  return "page:" + id_text(deployment) + ":" + approver;
}

pipelines::Authors authors_of(const store::DeploymentRecord& d, const store::RunRecord* run) {
  pipelines::Authors a;
  auto add = [](std::vector<std::string>& list, const std::optional<std::string>& v) {
    if (v && !v->empty()) list.push_back(*v);
  };
  if (run) {
    a.forge = run->forge.value_or("");
    add(a.logins, run->pusher);
    add(a.logins, run->sender);
    a.emails = run->author_emails;
    // A run started by hand names its starter as its pusher (an API token's name) and the
    // person the token belongs to as its sender.
    if (run->trigger == "manual") {
      add(a.triggered, run->pusher);
      add(a.triggered, run->sender);
    }
  }
  add(a.triggered, d.triggered_by);
  add(a.triggered, d.triggered_person);
  return a;
}

pipelines::Person person_of(const config::ProjectConfig& project, const std::string& approver) {
  pipelines::Person p{approver, "", {}};
  if (const auto it = project.approvers.find(approver); it != project.approvers.end()) {
    p.email = it->second.email;
    p.logins = it->second.logins;
  }
  return p;
}

notify::Fields deployment_fields(const store::DeploymentRecord& d, const store::RunRecord* run) {
  notify::Fields f{{"project", d.project},
                   {"environment", d.environment},
                   {"deployment", id_text(d.id)},
                   {"run", id_text(d.run)},
                   {"image", d.image},
                   {"tag", d.tag},
                   {"digest", d.digest.value_or("")},
                   {"state", std::string(pipelines::to_string(d.state))}};
  if (d.reason) f["reason"] = *d.reason;
  if (d.triggered_by) {
    f["triggered_by"] = *d.triggered_by;
    if (d.triggered_person && *d.triggered_person != *d.triggered_by) {
      f["triggered_by"] += " (" + *d.triggered_person + ")";
    }
  }
  if (run) {
    f["sha"] = run->sha;
    f["branch"] = run->branch;
    if (run->pusher) f["pusher"] = *run->pusher;
  }
  return f;
}

std::string ApprovalFlow::public_base() const {
  return link_base(daemon_, bound_port_.load());
}

std::string ApprovalFlow::link_for(const store::DeploymentRecord& d, const std::string& approver,
                                   std::int64_t expires) const {
  LinkClaims claims;
  claims.deployment = d.id;
  claims.approver = approver;
  claims.environment = d.environment;
  claims.digest = d.digest.value_or("");
  claims.expires = expires;
  return mint_link(public_base(), std::move(claims), keys_.front());
}

Result<void> ApprovalFlow::request_approvals(store::Database& db,
                                             const config::ProjectConfig& project,
                                             const store::RunRecord& run,
                                             const store::DeploymentRecord& d,
                                             TimePoint now) const {
  if (keys_.empty()) return fail("no approvals.signing_key is configured to sign approval links");
  const auto* env = project.environment(d.environment);
  const auto gate = env ? pipelines::gate_of(*env) : std::nullopt;
  if (!gate) return fail("environment " + d.environment + " has no approval gate");
  const auto timeout =
      env->approval_timeout.count() > 0
          ? std::chrono::duration_cast<std::chrono::milliseconds>(env->approval_timeout)
          : daemon_.approvals.link_ttl;
  const auto expires_tp = now + timeout;
  const std::string expires_at = rfc3339(expires_tp);
  const std::string at = rfc3339(now);
  if (auto ok = store::set_deployment_state(db, d.id, DeploymentState::kAwaitingApproval,
                                            std::nullopt, std::nullopt, at);
      !ok) {
    return ok;
  }
  if (auto ok = store::set_deployment_expiry(db, d.id, expires_at); !ok) return ok;
  auto current = load(db, d.id);
  if (!current) return std::unexpected(current.error());
  const std::int64_t expires =
      std::chrono::duration_cast<std::chrono::seconds>(expires_tp.time_since_epoch()).count();
  // Each link goes to its approver alone; group channels hear who must decide, never a link
  // (anyone in the group could use it).
  std::string names, slack_ids, mobiles, unreached;
  auto append = [](std::string& list, const std::string& item, const char* separator) {
    if (!item.empty()) list += (list.empty() ? "" : separator) + item;
  };
  for (const auto& name : gate->approvers) {
    notify::Fields f = deployment_fields(*current, &run);
    f["approver"] = name;
    if (const auto it = project.approvers.find(name); it != project.approvers.end()) {
      f["approver_email"] = it->second.email;
      f["approver_slack"] = it->second.slack;
      append(slack_ids, it->second.slack, ",");
      append(mobiles, it->second.dingtalk, ",");
    }
    f["link"] = link_for(*current, name, expires);
    f["expires_at"] = expires_at;
    auto sent = notifier_.enqueue_personal(db, project, "approval_requested", f, at);
    if (!sent) return std::unexpected(sent.error());
    append(names, name, ", ");
    if (*sent == 0) append(unreached, name, ", ");
  }
  notify::Fields group = deployment_fields(*current, &run);
  group["approvers"] = names;
  group["required_approvals"] = std::to_string(gate->required);
  group["approvers_slack"] = slack_ids;
  group["approvers_dingtalk"] = mobiles;
  group["unreached"] = unreached;
  group["expires_at"] = expires_at;
  if (auto ok = notifier_.enqueue(db, project, "approval_requested", group, at); !ok) return ok;
  return store::append_audit(
      db, {at, "request_approvals", "juanie", d.id, "done",
           std::to_string(gate->required) + " of " + std::to_string(gate->approvers.size()) +
               " approver(s) needed, until " + expires_at +
               (unreached.empty() ? "" : "; no personal channel reaches " + unreached),
           "", ""});
}

Result<void> ApprovalFlow::cancel(store::Database& db, const config::ProjectConfig& project,
                                  const store::DeploymentRecord& d, const std::string& reason,
                                  const std::string& action, TimePoint now) const {
  const std::string at = rfc3339(now);
  if (auto ok = store::set_deployment_state(db, d.id, DeploymentState::kCancelled, reason,
                                            std::nullopt, at);
      !ok) {
    return ok;
  }
  auto current = load(db, d.id);
  if (!current) return std::unexpected(current.error());
  auto run = run_of(db, *current);
  if (!run) return std::unexpected(run.error());
  if (auto ok = notifier_.enqueue(db, project, "deployment_cancelled",
                                  deployment_fields(*current, *run ? &**run : nullptr), at);
      !ok) {
    return ok;
  }
  return store::append_audit(db, {at, action, "juanie", d.id, "done", reason, "", ""});
}

Result<Next> ApprovalFlow::admit(store::Database& db, const config::ProjectConfig& project,
                                 const store::RunRecord& run, const store::DeploymentRecord& d,
                                 TimePoint now) const {
  auto older = store::superseded_by(db, d);
  if (!older) return std::unexpected(older.error());
  for (const auto& o : *older) {
    if (auto ok =
            cancel(db, project, o,
                   "superseded by deployment " + id_text(d.id) + " (" + d.image + ":" + d.tag + ")",
                   "supersede", now);
        !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (run.deploy_trigger == "manual") {
    // A run someone started by hand (juanie trigger) was its trigger; a push waits for one.
    if (run.trigger != "manual") return Next::kWait;
    const std::string who = run.pusher.value_or("");
    const std::string person = run.sender && !run.sender->empty() ? *run.sender : who;
    if (auto ok = store::set_deployment_trigger(db, d.id, who, person, rfc3339(now)); !ok) {
      return std::unexpected(ok.error());
    }
  }
  const auto* env = project.environment(d.environment);
  if (env && pipelines::gate_of(*env)) {
    auto current = load(db, d.id);
    if (!current) return std::unexpected(current.error());
    if (auto ok = request_approvals(db, project, run, *current, now); !ok)
      return std::unexpected(ok.error());
    return Next::kWait;
  }
  return Next::kCarryOut;
}

Result<Next> ApprovalFlow::trigger(store::Database& db, const config::ProjectConfig& project,
                                   std::int64_t id, const std::string& who,
                                   const std::string& person, TimePoint now) const {
  auto d = load(db, id);
  if (!d) return std::unexpected(d.error());
  if (d->state != pipelines::DeploymentState::kPending) {
    return fail(ErrorKind::kConflict, "deployment " + id_text(id) + " is " +
                                          std::string(pipelines::to_string(d->state)) +
                                          "; only a pending deployment can be triggered");
  }
  const std::string at = rfc3339(now);
  if (auto ok = store::set_deployment_trigger(db, id, who, person, at); !ok)
    return std::unexpected(ok.error());
  if (auto ok = store::append_audit(db, {at, "trigger", who, id, "done",
                                         person.empty() ? "" : "on behalf of " + person, "", ""});
      !ok) {
    return std::unexpected(ok.error());
  }
  auto run = run_of(db, *d);
  if (!run) return std::unexpected(run.error());
  if (!*run) return fail(ErrorKind::kConflict, "the run of deployment " + id_text(id) + " is gone");
  auto current = load(db, id);
  if (!current) return std::unexpected(current.error());
  const auto* env = project.environment(d->environment);
  if (env && pipelines::gate_of(*env)) {
    if (auto ok = request_approvals(db, project, **run, *current, now); !ok) {
      return std::unexpected(ok.error());
    }
    return Next::kWait;
  }
  if (auto ok = store::set_deployment_state(db, id, DeploymentState::kRunning, std::nullopt,
                                            std::nullopt, at);
      !ok) {
    return std::unexpected(ok.error());
  }
  return Next::kCarryOut;
}

Result<void> ApprovalFlow::withdraw(store::Database& db, const config::ProjectConfig& project,
                                    std::int64_t id, const std::string& who, TimePoint now) const {
  auto d = load(db, id);
  if (!d) return std::unexpected(d.error());
  if (d->state != pipelines::DeploymentState::kPending &&
      d->state != pipelines::DeploymentState::kAwaitingApproval) {
    return fail(ErrorKind::kConflict, "deployment " + id_text(id) + " is " +
                                          std::string(pipelines::to_string(d->state)) +
                                          "; only a waiting deployment can be cancelled");
  }
  return cancel(db, project, *d, "cancelled by " + who, "cancel", now);
}

Result<DecisionOutcome> ApprovalFlow::decide(store::Database& db,
                                             const config::ProjectConfig& project,
                                             const DecisionRequest& r, TimePoint now) const {
  const std::string at = rfc3339(now);
  const LinkClaims& c = r.claims;
  const bool by_link = r.via != "page";
  // The action is approve, reject or decide; what else the form said is kept, short and
  // escaped, in the detail: the audit names no action the daemon never takes.
  const std::string action(pipelines::decision_action(r.decision));
  const std::string posted =
      action == "decide" && !r.decision.empty()
          ? " (the form said " + pipelines::quoted_excerpt(r.decision, 32) + ")"
          : "";
  auto refuse = [&](DecisionOutcome outcome) -> Result<DecisionOutcome> {
    auto ok =
        store::append_audit(db, {at, action, c.approver, c.deployment, "refused",
                                 std::to_string(outcome.status) + ": " + outcome.message + posted,
                                 r.source_address, r.user_agent, r.via});
    if (!ok) return std::unexpected(ok.error());
    return outcome;
  };
  auto found = store::find_deployment(db, c.deployment);
  if (!found) return std::unexpected(found.error());
  if (!*found || (*found)->environment != c.environment || (*found)->project != project.name) {
    return refuse(refusal(403, link_not_for_deployment_text()));
  }
  const store::DeploymentRecord& d = **found;
  if (d.digest.value_or("") != c.digest) {
    return refuse(refusal(409, image_changed_text()));
  }
  if (by_link) {
    auto used = store::nonce_used(db, c.nonce);
    if (!used) return std::unexpected(used.error());
    if (*used) {
      return refuse(refusal(409, link_used_text()));
    }
  }
  if (d.state != pipelines::DeploymentState::kAwaitingApproval) {
    return refuse(
        refusal(409, no_longer_waiting_text(d.id, pipelines::to_string(d.state), d.reason)));
  }
  // Past its deadline a deployment is as good as expired, whether or not the sweep that
  // cancels it has run yet (a link carries the same deadline and is checked before).
  if (const auto deadline = parse_rfc3339(d.expires_at.value_or(""));
      deadline && *deadline <= now) {
    return refuse(refusal(410, expired_text(*d.expires_at)));
  }
  const auto decision = pipelines::parse_decision(r.decision);
  if (!decision) {
    return refuse(refusal(400, choose_decision_text()));
  }
  const auto* env = project.environment(d.environment);
  const auto gate = env ? pipelines::gate_of(*env) : std::nullopt;
  if (!gate) {
    return refuse(refusal(409, gate_removed_text(d.environment)));
  }
  auto so_far = store::approvals_of(db, d.id);
  if (!so_far) return std::unexpected(so_far.error());
  auto run = run_of(db, d);
  if (!run) return std::unexpected(run.error());
  const pipelines::Authors authors = authors_of(d, *run ? &**run : nullptr);
  if (auto ok = pipelines::may_decide(*gate, person_of(project, c.approver), *decision, authors,
                                      recorded(*so_far));
      !ok) {
    const bool twice = ok.error().kind == ErrorKind::kConflict;
    return refuse(refusal(twice ? 409 : 403, refused_decision_text(twice, ok.error().message)));
  }
  store::ApprovalRecord a;
  a.deployment = d.id;
  a.approver = c.approver;
  a.decision = *decision;
  a.comment = r.comment;
  a.decided_at = at;
  a.source_address = r.source_address;
  a.user_agent = r.user_agent;
  a.token_nonce = by_link ? c.nonce : page_nonce(d.id, c.approver);
  a.via = by_link ? "link" : "page";
  if (auto ok = store::insert_approval(db, a); !ok) return std::unexpected(ok.error());
  if (auto ok = store::append_audit(db, {at, action, c.approver, d.id, "done", r.comment,
                                         r.source_address, r.user_agent, a.via});
      !ok) {
    return std::unexpected(ok.error());
  }
  so_far->push_back(a);
  switch (pipelines::tally(*gate, recorded(*so_far))) {
    case pipelines::Verdict::kRejected: {
      const std::string reason =
          "rejected by " + c.approver + (r.comment.empty() ? "" : ": " + r.comment);
      if (auto ok = cancel(db, project, d, reason, "cancel", now); !ok)
        return std::unexpected(ok.error());
      return answer(rejected_text(d.id, d.environment), Next::kWait);
    }
    case pipelines::Verdict::kApproved:
      if (auto ok = store::set_deployment_state(db, d.id, DeploymentState::kRunning, std::nullopt,
                                                std::nullopt, at);
          !ok) {
        return std::unexpected(ok.error());
      }
      return answer(approved_final_text(d.image, d.tag, d.environment), Next::kCarryOut);
    case pipelines::Verdict::kWaiting:
      break;
  }
  int approvals = 0;
  for (const auto& x : *so_far) approvals += x.decision == pipelines::Decision::kApprove;
  return answer(approved_waiting_text(approvals, gate->required), Next::kWait);
}

Result<void> ApprovalFlow::finish(store::Database& db, const config::ProjectConfig& project,
                                  std::int64_t id, DeploymentState to,
                                  const std::optional<std::string>& reason,
                                  const std::optional<std::string>& commit, TimePoint now) const {
  const std::string at = rfc3339(now);
  if (auto ok = store::set_deployment_state(db, id, to, reason, commit, at); !ok) return ok;
  auto d = load(db, id);
  if (!d) return std::unexpected(d.error());
  auto run = run_of(db, *d);
  if (!run) return std::unexpected(run.error());
  if (d->rollback_of && commit && to != DeploymentState::kFailed) {
    if (auto ok = record_rollback(db, project, *d, *commit, now); !ok) return ok;
  }
  if (to != DeploymentState::kSuccess && to != DeploymentState::kFailed) return {};
  return notifier_.enqueue(
      db, project, to == DeploymentState::kSuccess ? "deployment_succeeded" : "deployment_failed",
      deployment_fields(*d, *run ? &**run : nullptr), at);
}

Result<void> ApprovalFlow::record_rollback(store::Database& db,
                                           const config::ProjectConfig& project,
                                           const store::DeploymentRecord& rollback,
                                           const std::string& commit, TimePoint now) const {
  auto undone = load(db, *rollback.rollback_of);
  if (!undone) return std::unexpected(undone.error());
  const std::string at = rfc3339(now);
  // A successful deployment rolled back by hand did not fail: it stays `success`, marked so
  // that it is no longer what a later rollback goes back to.
  if (undone->state == DeploymentState::kSuccess) {
    return store::set_rollback_commit(db, undone->id, commit);
  }
  // One whose rollout was still watched is over: its image no longer runs.
  if (undone->state == DeploymentState::kDeploying) {
    if (auto ok = store::set_deployment_state(
            db, undone->id, DeploymentState::kFailed,
            "rolled back by deployment " + id_text(rollback.id) + " before Flux reported on it",
            std::nullopt, at);
        !ok) {
      return ok;
    }
  } else if (undone->state != DeploymentState::kFailed) {
    return {};
  }
  if (auto ok = store::mark_rolled_back(db, undone->id, commit, at); !ok) return ok;
  auto current = load(db, undone->id);
  if (!current) return std::unexpected(current.error());
  auto run = run_of(db, *current);
  if (!run) return std::unexpected(run.error());
  notify::Fields f = deployment_fields(*current, *run ? &**run : nullptr);
  f["restored_image"] = rollback.image;
  f["restored_tag"] = rollback.tag;
  f["restored_digest"] = rollback.digest.value_or("");
  f["rollback_deployment"] = id_text(rollback.id);
  f["rollback_commit"] = commit;
  if (auto ok = notifier_.enqueue(db, project, "deployment_rolled_back", f, at); !ok) return ok;
  return store::append_audit(
      db, {at, "rollback", "juanie", undone->id, "done",
           "restored " + rollback.image + ":" + rollback.tag + " by deployment " +
               id_text(rollback.id) + ", commit " + commit,
           "", ""});
}

Result<Next> ApprovalFlow::admit_rollback(store::Database& db, const config::ProjectConfig& project,
                                          const store::DeploymentRecord& d, TimePoint now) const {
  const auto* env = project.environment(d.environment);
  if (env && env->rollback_needs_approval && pipelines::gate_of(*env)) {
    auto run = run_of(db, d);
    if (!run) return std::unexpected(run.error());
    if (!*run) {
      return fail(ErrorKind::kConflict, "the run of deployment " + id_text(d.id) + " is gone");
    }
    if (auto ok = request_approvals(db, project, **run, d, now); !ok) {
      return std::unexpected(ok.error());
    }
    return Next::kWait;
  }
  if (auto ok = store::set_deployment_state(db, d.id, DeploymentState::kRunning, std::nullopt,
                                            std::nullopt, rfc3339(now));
      !ok) {
    return std::unexpected(ok.error());
  }
  return Next::kCarryOut;
}

Result<int> ApprovalFlow::expire_due(
    store::Database& db,
    const std::function<const config::ProjectConfig*(const std::string&)>& project_of,
    TimePoint now) const {
  auto due = store::expired_deployments(db, rfc3339(now));
  if (!due) return std::unexpected(due.error());
  int n = 0;
  for (const auto& d : *due) {
    const std::string reason =
        "expired: no decision before " + d.expires_at.value_or("its deadline");
    const config::ProjectConfig* project = project_of(d.project);
    if (project) {
      if (auto ok = cancel(db, *project, d, reason, "expire", now); !ok)
        return std::unexpected(ok.error());
    } else {
      const std::string at = rfc3339(now);
      if (auto ok = store::set_deployment_state(db, d.id, DeploymentState::kCancelled, reason,
                                                std::nullopt, at);
          !ok) {
        return std::unexpected(ok.error());
      }
    }
    ++n;
  }
  return n;
}

Result<std::string> ApprovalFlow::link(store::Database& db, const config::ProjectConfig& project,
                                       std::int64_t id, const std::string& approver) const {
  if (keys_.empty()) return fail("no approvals.signing_key is configured");
  auto d = load(db, id);
  if (!d) return std::unexpected(d.error());
  if (d->project != project.name)
    return fail("deployment " + id_text(id) + " is not of project " + project.name);
  if (d->state != pipelines::DeploymentState::kAwaitingApproval) {
    return fail("deployment " + id_text(id) + " is " + std::string(pipelines::to_string(d->state)) +
                (d->state == pipelines::DeploymentState::kPending
                     ? "; trigger it first"
                     : "; it does not wait for approval"));
  }
  const auto* env = project.environment(d->environment);
  const auto gate = env ? pipelines::gate_of(*env) : std::nullopt;
  if (!gate || std::find(gate->approvers.begin(), gate->approvers.end(), approver) ==
                   gate->approvers.end()) {
    return fail(approver + " is not an approver of " + project.name + "'s " + d->environment);
  }
  const auto expires = parse_rfc3339(d->expires_at.value_or(""));
  if (!expires) return fail("deployment " + id_text(id) + " has no deadline recorded");
  return link_for(
      *d, approver,
      std::chrono::duration_cast<std::chrono::seconds>(expires->time_since_epoch()).count());
}

}  // namespace juanie::daemon::approvals
