#include "daemon/api/runs_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace juanie::daemon::api {
namespace {

namespace json = boost::json;

json::value optional(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
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
  o["state"] = r.state;
  o["reason"] = optional(r.reason);
  o["delivery"] = optional(r.delivery);
  o["forge"] = optional(r.forge);
  o["pusher"] = optional(r.pusher);
  o["commit_message"] = optional(r.commit_message);
  o["commit_author"] = optional(r.commit_author);
  o["created_at"] = r.created_at;
  o["started_at"] = optional(r.started_at);
  o["finished_at"] = optional(r.finished_at);
  return o;
}

}  // namespace

std::string runs_list_json(const std::vector<store::RunRecord>& runs) {
  json::array list;
  list.reserve(runs.size());
  for (const auto& r : runs) list.push_back(run_object(r));
  json::object o;
  o["runs"] = std::move(list);
  return json::serialize(o);
}

std::string run_json(const store::RunRecord& run) {
  json::object o = run_object(run);
  o["steps"] = json::array();  // step records arrive with the runner
  o["deployment"] = nullptr;
  return json::serialize(o);
}

}  // namespace juanie::daemon::api
