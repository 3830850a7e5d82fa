#include "daemon/deploy/deployment_loop.hpp"

#include "daemon/store/log_keys.hpp"

namespace juanie::daemon {

void DeploymentLoop::pass(bool first) {
  if (deps_.on_duty && !deps_.on_duty()) return;
  const auto projects = deps_.projects.get();
  auto project_of = [&](const std::string& name) -> const config::ProjectConfig* {
    auto it = projects->find(name);
    return it == projects->end() ? nullptr : &it->second->config;
  };
  int expired = 0;
  // Most passes find nothing due: look before taking the writer (and an fsync).
  const std::string now = rfc3339(deps_.clock.now());
  auto due =
      deps_.reader.with([&](store::Database& db) { return store::expired_deployments(db, now); });
  auto ok = !due || due->empty()
                ? Result<void>{}
                : store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
                    auto n = deps_.flow.expire_due(db, project_of, deps_.clock.now());
                    if (!n) return std::unexpected(n.error());
                    expired = *n;
                    return {};
                  });
  if (!ok) deps_.log.error("cannot expire waiting deployments: " + ok.error().message);
  if (expired > 0) {
    deps_.log.info(std::to_string(expired) +
                   " deployment(s) cancelled: their approval deadline passed");
    deps_.notifier.wake();
  }

  auto running =
      deps_.reader.with([](store::Database& db) { return store::running_deployments(db); });
  if (!running)
    return deps_.log.error("cannot list running deployments: " + running.error().message);
  for (const auto& d : *running) {
    if (deps_.deployer.in_flight(d.id)) continue;
    if (deps_.elsewhere && deps_.elsewhere(d.id)) continue;
    auto run = deps_.reader.with([&](store::Database& db) { return store::find_run(db, d.run); });
    const auto* project = project_of(d.project);
    if (!run || !*run || !project) {
      if (reported_.insert(d.id).second) {
        deps_.log.error(store::keys_of(d), "deployment " + std::to_string(d.id) +
                                               " cannot go on: its run or project is gone");
      }
      continue;
    }
    deps_.log.info(store::keys_of(d), "deployment " + std::to_string(d.id) +
                                          (first ? " was interrupted by a restart; resuming"
                                                 : " may go; writing the GitOps change"));
    deps_.deployer.carry_out(d, **run, *project);
  }
}

}  // namespace juanie::daemon
