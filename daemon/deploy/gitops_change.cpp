#include "daemon/deploy/gitops_change.hpp"

#include "pipelines/message_template.hpp"

namespace juanie::daemon {

Result<runner::GitOpsChange> gitops_change_for(const config::ProjectConfig& project,
                                               const store::DeploymentRecord& d,
                                               const store::RunRecord& run) {
  if (!d.digest)
    return fail("no digest was recorded for the image, and a deployment is pinned to one");
  const std::map<std::string, std::string> fields{{"project", d.project},
                                                  {"environment", d.environment},
                                                  {"image", d.image},
                                                  {"tag", d.tag},
                                                  {"digest", d.digest.value_or("")},
                                                  {"sha", run.sha},
                                                  {"short_sha", run.sha.substr(0, 7)},
                                                  {"run", std::to_string(d.run)},
                                                  {"branch", run.branch}};
  auto message = pipelines::render_message(project.gitops_message, fields);
  if (!message) return std::unexpected(message.error());
  if (d.rollback_of) {
    // A rollback says so, whatever the project's template: a reader of the GitOps history
    // sees an environment going back, and which deployment it undid.
    *message = "Roll back " + d.environment + " to " + d.image + ":" + d.tag + "\n\nUndoes " +
               "deployment " + std::to_string(*d.rollback_of) + "; restores the image of run " +
               std::to_string(d.run) + " (commit " + run.sha + ").\n";
  }
  auto path = pipelines::render_message(project.gitops_path, fields);
  if (!path) return std::unexpected(path.error());
  runner::GitOpsChange change;
  change.path = *path;
  change.image = {d.image, "newTag", d.tag};
  change.digest = *d.digest;
  change.message = *message;
  change.author_name = project.gitops_author_name;
  change.author_email = project.gitops_author_email;
  return change;
}

}  // namespace juanie::daemon
