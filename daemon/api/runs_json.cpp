#include "daemon/api/runs_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace juanie::daemon::api {
namespace {

namespace json = boost::json;

json::value optional(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::value cursor(std::optional<std::int64_t> next) {
  return next ? json::value(*next) : json::value(nullptr);
}

json::object run_object(const store::RunRecord& r) {
  json::object o;
  o["id"] = r.id;
  o["project"] = r.project;
  o["ref"] = r.ref;
  o["ref_kind"] = r.ref_kind;
  o["branch"] = r.branch;
  o["sha"] = r.sha;
  o["environment"] = optional(r.environment);
  o["trigger"] = r.trigger;
  o["deploy_trigger"] = r.deploy_trigger;
  o["state"] = pipelines::to_string(r.state);
  o["reason"] = optional(r.reason);
  o["delivery"] = optional(r.delivery);
  o["forge"] = optional(r.forge);
  o["pusher"] = optional(r.pusher);
  o["sender"] = optional(r.sender);
  o["commit_message"] = optional(r.commit_message);
  o["commit_author"] = optional(r.commit_author);
  o["created_at"] = r.created_at;
  o["started_at"] = optional(r.started_at);
  o["finished_at"] = optional(r.finished_at);
  o["logs_removed_at"] = optional(r.logs_removed_at);
  o["retry_of"] = r.retry_of ? json::value(*r.retry_of) : json::value(nullptr);
  o["resume_from"] = r.resume_from ? json::value(*r.resume_from) : json::value(nullptr);
  o["event"] = store::run_event(r);
  if (const auto& pr = r.pull_request) {
    json::object p;
    p["number"] = pr->number;
    p["title"] = pr->title;
    p["source_branch"] = pr->source_branch;
    p["target_branch"] = pr->target_branch;
    p["fork"] = pr->fork;
    p["head_repository"] = pr->head_repository;
    // Said where people look: such a run stops after its steps.
    p["deploys"] = false;
    o["pull_request"] = std::move(p);
  } else {
    o["pull_request"] = nullptr;
  }
  return o;
}

json::object approval_object(const store::ApprovalRecord& a) {
  json::object o;
  o["approver"] = a.approver;
  o["decision"] = pipelines::to_string(a.decision);
  o["comment"] = a.comment;
  o["decided_at"] = a.decided_at;
  o["source_address"] = a.source_address;
  o["user_agent"] = a.user_agent;
  o["via"] = a.via;
  return o;
}

json::object deployment_object(const store::DeploymentRecord& d, const ApprovalsById& approvals) {
  json::object o;
  o["id"] = d.id;
  o["run"] = d.run;
  o["project"] = d.project;
  o["environment"] = d.environment;
  o["state"] = pipelines::to_string(d.state);
  o["image"] = d.image;
  o["tag"] = d.tag;
  o["digest"] = optional(d.digest);
  o["gitops_commit"] = optional(d.gitops_commit);
  o["reason"] = optional(d.reason);
  json::array list;
  if (auto it = approvals.find(d.id); it != approvals.end()) {
    for (const auto& a : it->second) list.push_back(approval_object(a));
  }
  o["approvals"] = std::move(list);
  o["triggered_by"] = optional(d.triggered_by);
  o["triggered_person"] = optional(d.triggered_person);
  o["triggered_at"] = optional(d.triggered_at);
  o["expires_at"] = optional(d.expires_at);
  o["created_at"] = d.created_at;
  o["started_at"] = optional(d.started_at);
  o["finished_at"] = optional(d.finished_at);
  o["committed_at"] = optional(d.committed_at);
  o["rollback_of"] = d.rollback_of ? json::value(*d.rollback_of) : json::value(nullptr);
  o["rollback_commit"] = optional(d.rollback_commit);
  return o;
}

}  // namespace

std::string deployment_json(const store::DeploymentRecord& d, const ApprovalsById& approvals) {
  return json::serialize(deployment_object(d, approvals));
}

std::string approvals_list_json(const std::vector<ApprovalItem>& items,
                                std::optional<std::int64_t> next) {
  json::array list;
  for (const auto& item : items) {
    const auto& d = item.deployment;
    json::object o;
    o["deployment"] = d.id;
    o["project"] = d.project;
    o["environment"] = d.environment;
    o["image"] = d.image;
    o["tag"] = d.tag;
    o["approver"] = item.approver;
    o["state"] = item.decision ? pipelines::to_string(item.decision->decision) : "pending";
    o["expires_at"] = optional(d.expires_at);
    o["triggered_by"] = optional(d.triggered_by);
    if (item.decision) {
      o["comment"] = item.decision->comment;
      o["decided_at"] = item.decision->decided_at;
      o["source_address"] = item.decision->source_address;
    }
    list.push_back(std::move(o));
  }
  json::object o;
  o["approvals"] = std::move(list);
  o["next"] = cursor(next);
  return json::serialize(o);
}

std::string deployments_list_json(const std::vector<store::DeploymentRecord>& deployments,
                                  const ApprovalsById& approvals,
                                  std::optional<std::int64_t> next) {
  json::array list;
  list.reserve(deployments.size());
  for (const auto& d : deployments) list.push_back(deployment_object(d, approvals));
  json::object o;
  o["deployments"] = std::move(list);
  o["next"] = cursor(next);
  return json::serialize(o);
}

std::string runs_list_json(const std::vector<store::RunRecord>& runs,
                           std::optional<std::int64_t> next) {
  json::array list;
  list.reserve(runs.size());
  for (const auto& r : runs) list.push_back(run_object(r));
  json::object o;
  o["runs"] = std::move(list);
  o["next"] = cursor(next);
  return json::serialize(o);
}

std::string run_json(const store::RunRecord& run, const std::vector<store::StepRecord>& steps,
                     const std::optional<store::DeploymentRecord>& deployment,
                     const ApprovalsById& approvals,
                     const std::optional<std::string>& status_report) {
  json::object o = run_object(run);
  json::array list;
  for (const auto& s : steps) {
    json::object step;
    step["name"] = s.name;
    step["state"] = pipelines::to_string(s.state);
    step["exit_code"] = s.exit_code ? json::value(*s.exit_code) : json::value(nullptr);
    step["reason"] = optional(s.reason);
    step["started_at"] = optional(s.started_at);
    step["finished_at"] = optional(s.finished_at);
    list.push_back(std::move(step));
  }
  o["steps"] = std::move(list);
  o["deployment"] =
      deployment ? json::value(deployment_object(*deployment, approvals)) : json::value(nullptr);
  // Written by the dispatcher (an object); anything else reads as "nothing reported".
  std::error_code ec;
  json::value report = status_report ? json::parse(*status_report, ec) : json::value(nullptr);
  o["status_report"] = !ec && report.is_object() ? std::move(report) : json::value(nullptr);
  return json::serialize(o);
}

}  // namespace juanie::daemon::api
