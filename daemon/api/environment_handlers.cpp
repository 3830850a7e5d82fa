#include "daemon/api/environment_handlers.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <memory>

#include "daemon/api/environment_state.hpp"
#include "daemon/api/error_status.hpp"
#include "daemon/api/rollback_body.hpp"
#include "daemon/api/run_handlers.hpp"
#include "daemon/deploy/rollback.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/log_keys.hpp"

namespace juanie::daemon::api {
namespace {

namespace json = boost::json;
using pipelines::DeploymentState;

json::value text_or_null(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

// How many of an environment's deployments the view reads back through (the newest).
constexpr int kHistory = 100;

json::object environment_object(const pipelines::Environment& env,
                                const std::vector<store::DeploymentRecord>& history) {
  json::object o;
  o["name"] = env.name;
  o["namespace"] = env.kube_namespace;
  const EnvironmentStatus status = environment_status(history);
  o["state"] = status.state;
  o["approval"] = pipelines::to_string(env.approval);
  o["rollback"] = pipelines::to_string(env.rollback);
  o["rollback_approval"] = env.rollback_needs_approval ? "approval" : "none";
  const store::DeploymentRecord* current = status.current;
  const store::DeploymentRecord* last = status.last_rollout;
  const store::DeploymentRecord* moving = status.in_flight;
  if (current) {
    json::object c;
    c["deployment"] = current->id;
    c["image"] = current->image;
    c["tag"] = current->tag;
    c["digest"] = text_or_null(current->digest);
    c["gitops_commit"] = text_or_null(current->gitops_commit);
    c["state"] = pipelines::to_string(current->state);
    c["since"] = text_or_null(current->committed_at);
    o["current"] = std::move(c);
  } else {
    o["current"] = nullptr;
  }
  if (last) {
    json::object l;
    l["deployment"] = last->id;
    l["state"] = pipelines::to_string(last->state);
    l["reason"] = text_or_null(last->reason);
    l["finished_at"] = text_or_null(last->finished_at);
    l["rollback_commit"] = text_or_null(last->rollback_commit);
    o["last_rollout"] = std::move(l);
  } else {
    o["last_rollout"] = nullptr;
  }
  if (moving) {
    json::object m;
    m["deployment"] = moving->id;
    m["state"] = pipelines::to_string(moving->state);
    m["tag"] = moving->tag;
    m["rollback_of"] = moving->rollback_of ? json::value(*moving->rollback_of) : nullptr;
    o["in_flight"] = std::move(m);
  } else {
    o["in_flight"] = nullptr;
  }
  return o;
}

void list_environments(const RouteDeps& deps, const config::ProjectConfig& project,
                       http::Reply reply) {
  json::array list;
  for (const auto& env : project.environments) {
    auto history = deps.reader.with([&](store::Database& db) {
      return store::environment_history(db, project.name, env.name, kHistory);
    });
    if (!history) return reply(http::error_response(503, history.error().message));
    list.push_back(environment_object(env, *history));
  }
  json::object o;
  o["project"] = project.name;
  o["environments"] = std::move(list);
  reply(http::json_response(200, json::serialize(o) + "\n"));
}

void roll_back(const RouteDeps& deps, std::shared_ptr<const config::LoadedProject> project,
               const std::string& environment, const http::Request& req,
               const config::ApiToken& caller, http::Reply reply) {
  auto target = parse_rollback_body(req.body);
  if (!target) return reply(http::error_response(400, target.error().message));
  auto started = std::make_shared<RollbackStart>();
  auto undone = std::make_shared<std::int64_t>(0);
  const std::string who = caller.name;
  const std::string person = caller.person;
  deps.writer.submit(
      [&deps, project, environment, target = *target, who, person, started, undone,
       now = deps.clock.now()](store::Database& db) -> Result<void> {
        auto subject = rollback_subject(db, project->config.name, environment);
        if (!subject) return std::unexpected(subject.error());
        if (!*subject) {
          return fail(ErrorKind::kConflict, "nothing was deployed to " + environment + " yet");
        }
        *undone = (*subject)->id;
        auto r =
            start_rollback(db, deps.flow, project->config, **subject, target, who, person, now);
        if (!r) return std::unexpected(r.error());
        *started = std::move(*r);
        return {};
      },
      [&deps, environment, who, started, undone, project,
       reply = std::move(reply)](Result<void> ok) {
        const std::string where = "rollback of " + project->config.name + " " + environment;
        if (!ok) {
          deps.log.warn({.project = project->config.name, .environment = environment},
                        where + " by " + who + " refused: " + ok.error().message);
          return reply(http::error_response(http_status(ok.error().kind), ok.error().message));
        }
        const auto& d = started->deployment;
        deps.metrics.rollback(environment, "manual");
        deps.log.info(store::keys_of(d), "deployment " + std::to_string(d.id) + " " +
                                             d.reason.value_or("") + ", by " + who + ": " +
                                             std::string(pipelines::to_string(d.state)));
        if (deps.on_deployments_changed) deps.on_deployments_changed();
        json::object o;
        o["deployment"] = d.id;
        o["state"] = pipelines::to_string(d.state);
        o["rolls_back"] = *undone;
        o["image"] = d.image;
        o["tag"] = d.tag;
        o["digest"] = text_or_null(d.digest);
        reply(http::json_response(202, json::serialize(o) + "\n"));
      });
}

// GET /api/v1/projects/{p}: the project, its environments and what it keeps on disk.
void describe_project(const RouteDeps& deps, const config::ProjectConfig& project,
                      http::Reply reply) {
  json::object o;
  o["name"] = project.name;
  json::array environments;
  for (const auto& env : project.environments) environments.emplace_back(env.name);
  o["environments"] = std::move(environments);
  if (deps.disk) {
    // Walks the project's directories (at most once per period, whoever asks): off the
    // event loop, as every handler runs.
    const ProjectDisk disk = deps.disk->of(project);
    json::object d;
    d["mirror_bytes"] = disk.mirror_bytes;
    d["trees_bytes"] = disk.trees_bytes;
    d["measured_at"] = disk.measured_at;
    o["disk"] = std::move(d);
  } else {
    o["disk"] = nullptr;
  }
  reply(http::json_response(200, json::serialize(o) + "\n"));
}

}  // namespace

void project_item(const RouteDeps& deps, const http::Request& req, const config::ApiToken& caller,
                  http::Reply reply) {
  const auto parts = project_path_parts(req.path());
  if (parts.size() == 2 && parts[1] == "runs")
    return start_run(deps, req, caller, std::move(reply));
  const bool describe = parts.size() == 1;
  const bool list = parts.size() == 2 && parts[1] == "environments";
  const bool rollback = parts.size() == 4 && parts[1] == "environments" && parts[3] == "rollback";
  if (!describe && !list && !rollback) return reply(http::error_response(404, "no such endpoint"));
  const auto projects = deps.projects.get();
  auto it = projects->find(parts[0]);
  if (it == projects->end()) {
    return reply(http::error_response(404, "no project " + std::string(parts[0])));
  }
  if (describe) {
    if (req.method != "GET") return reply(http::error_response(405, "a project is read by GET"));
    return describe_project(deps, it->second->config, std::move(reply));
  }
  if (list) {
    if (req.method != "GET")
      return reply(http::error_response(405, "environments are read by GET"));
    return list_environments(deps, it->second->config, std::move(reply));
  }
  if (req.method != "POST") return reply(http::error_response(405, "a rollback is a POST"));
  const std::string environment(parts[2]);
  if (!it->second->config.environment(environment)) {
    return reply(http::error_response(
        404, "project " + std::string(parts[0]) + " has no environment " + environment));
  }
  roll_back(deps, it->second, environment, req, caller, std::move(reply));
}

}  // namespace juanie::daemon::api
