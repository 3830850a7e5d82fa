#include "daemon/deployer.hpp"

#include <future>

#include "daemon/git_access.hpp"
#include "pipelines/message_template.hpp"

namespace juanie::daemon {

using pipelines::DeploymentState;

namespace {

template <typename T>
Result<T> write_and_get(store::Writer& writer, std::function<Result<T>(store::Database&)> work) {
  std::promise<Result<T>> done;
  auto future = done.get_future();
  auto result = std::make_shared<Result<T>>(fail("not run"));
  writer.submit(
      [result, work](store::Database& db) -> Result<void> {
        *result = work(db);
        if (!*result) return std::unexpected(result->error());
        return {};
      },
      [&done, result](Result<void> r) {
        done.set_value(r ? std::move(*result) : Result<T>(std::unexpected(r.error())));
      });
  return future.get();
}

std::string replace_all(std::string text, const std::string& what, const std::string& with) {
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + with.size())) {
    text.replace(pos, what.size(), with);
  }
  return text;
}

}  // namespace

void Deployer::record(std::int64_t id, DeploymentState to, const std::optional<std::string>& reason,
                      const std::optional<std::string>& commit) const {
  const std::string now = rfc3339(deps_.clock.now());
  auto ok = write_and_get<bool>(deps_.writer, [=](store::Database& db) -> Result<bool> {
    auto r = store::set_deployment_state(db, id, to, reason, commit, now);
    if (!r) return std::unexpected(r.error());
    return true;
  });
  if (!ok) deps_.log.error("deployment " + std::to_string(id) + ": " + ok.error().message);
}

void Deployer::deliver(const store::RunRecord& run, const config::ProjectConfig& project,
                       const std::string& image, const std::string& tag,
                       const std::string& digest) const {
  store::DeploymentRecord wanted;
  wanted.run = run.id;
  wanted.project = run.project;
  wanted.environment = *run.environment;
  wanted.image = image;
  wanted.tag = tag;
  wanted.digest = digest;
  const std::string now = rfc3339(deps_.clock.now());
  auto created = write_and_get<store::DeploymentRecord>(
      deps_.writer, [&](store::Database& db) { return store::create_deployment(db, wanted, now); });
  if (!created) {
    deps_.log.error("run " + std::to_string(run.id) + ": cannot record its deployment: " +
                    created.error().message);
    return;
  }
  deps_.log.info("deployment " + std::to_string(created->id) + " of " + image + ":" + tag +
                 " to " + created->environment + " recorded");
  if (run.deploy_trigger == "manual") {
    deps_.log.info("deployment " + std::to_string(created->id) + " waits for a manual trigger");
    return;
  }
  carry_out(*created, run, project);
}

void Deployer::carry_out(const store::DeploymentRecord& d, const store::RunRecord& run,
                         const config::ProjectConfig& project) const {
  const std::string id = std::to_string(d.id);
  record(d.id, DeploymentState::kRunning, std::nullopt, std::nullopt);
  if (project.gitops_url.empty()) {
    return record(d.id, DeploymentState::kFailed, "the project has no gitops repository", std::nullopt);
  }
  auto credentials = read_git_credentials(deps_.daemon.secrets_dir, project.gitops_access);
  if (!credentials) return record(d.id, DeploymentState::kFailed, credentials.error().message, std::nullopt);
  const bool by_digest = project.gitops_update == "digest";
  if (by_digest && !d.digest) {
    return record(d.id, DeploymentState::kFailed, "no digest was recorded for the image", std::nullopt);
  }
  const std::map<std::string, std::string> fields{
      {"project", d.project}, {"environment", d.environment}, {"image", d.image},
      {"tag", d.tag},         {"digest", d.digest.value_or("")}, {"sha", run.sha},
      {"short_sha", run.sha.substr(0, 7)}, {"run", std::to_string(run.id)}, {"branch", run.branch}};
  auto message = pipelines::render_message(project.gitops_message, fields);
  if (!message) return record(d.id, DeploymentState::kFailed, message.error().message, std::nullopt);

  runner::GitOpsChange change;
  change.path = replace_all(project.gitops_path, "{environment}", d.environment);
  change.image = {d.image, project.gitops_update, by_digest ? *d.digest : d.tag};
  change.message = *message;
  change.author_name = project.gitops_author_name;
  change.author_email = project.gitops_author_email;
  auto outcome = deps_.gitops.apply({project.gitops_url, project.gitops_branch, *credentials}, change);
  if (!outcome) {
    deps_.log.warn("deployment " + id + " failed: " + outcome.error().message);
    return record(d.id, DeploymentState::kFailed, outcome.error().message, std::nullopt);
  }
  deps_.log.info("deployment " + id + " " +
                 (outcome->committed ? "committed " + outcome->commit.substr(0, 12) + " to "
                                     : "found the tag already in ") +
                 project.gitops_url + " " + change.path);
  record(d.id, DeploymentState::kSuccess,
         outcome->committed ? std::nullopt
                            : std::optional<std::string>("the overlay already had this image"),
         outcome->commit);
}

}  // namespace juanie::daemon
