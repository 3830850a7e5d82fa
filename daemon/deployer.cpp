#include "daemon/deployer.hpp"

#include "daemon/git_access.hpp"
#include "daemon/run_executor.hpp"
#include "pipelines/message_template.hpp"

namespace juanie::daemon {

using pipelines::DeploymentState;

namespace {

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
  auto ok = write_and_wait(deps_.writer, [=](store::Database& db) {
    return store::set_deployment_state(db, id, to, reason, commit, now);
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
  Result<store::DeploymentRecord> created = fail("not recorded");
  auto written = write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
    created = store::create_deployment(db, wanted, now);
    if (!created) return std::unexpected(created.error());
    return {};
  });
  if (!written && created) created = std::unexpected(written.error());
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
