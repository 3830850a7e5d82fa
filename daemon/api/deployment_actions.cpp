#include "daemon/api/deployment_actions.hpp"

#include <memory>

#include "daemon/store/deployments.hpp"

namespace juanie::daemon::api {

void change_deployment_state(const RouteDeps& deps, std::int64_t id, const std::string& action,
                             const std::string& who, const std::string& person,
                             DeploymentChanged done) {
  auto d = deps.reader.with([&](store::Database& db) { return store::find_deployment(db, id); });
  if (!d) return done(std::unexpected(d.error()));
  if (!*d) return done(fail(ErrorKind::kNotFound, "no such deployment"));
  const auto projects = deps.projects.get();
  auto it = projects->find((*d)->project);
  if (it == projects->end()) {
    return done(
        fail(ErrorKind::kConflict, "project " + (*d)->project + " is no longer configured"));
  }
  auto project = it->second;
  auto state = std::make_shared<std::string>();
  deps.writer.submit(
      [&deps, project, id, action, who, person, state,
       now = deps.clock.now()](store::Database& db) -> Result<void> {
        if (action == "cancel") {
          if (auto ok = deps.flow.withdraw(db, project->config, id, who, now); !ok) return ok;
        } else if (auto next = deps.flow.trigger(db, project->config, id, who, person, now);
                   !next) {
          return std::unexpected(next.error());
        }
        auto after = store::find_deployment(db, id);
        if (!after) return std::unexpected(after.error());
        *state = pipelines::to_string((*after)->state);
        return {};
      },
      [&deps, id, action, who, state, done = std::move(done)](Result<void> ok) {
        if (!ok) return done(std::unexpected(ok.error()));
        deps.log.info({.deployment = id}, "deployment " + std::to_string(id) + " " +
                                              (action == "cancel" ? "cancelled" : "triggered") +
                                              " by " + who + ": " + *state);
        if (deps.on_deployments_changed) deps.on_deployments_changed();
        done(*state);
      });
}

}  // namespace juanie::daemon::api
