#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/database.hpp"
#include "pipelines/error.hpp"
#include "pipelines/state_machines.hpp"

namespace juanie::daemon::store {

struct DeploymentRecord {
  std::int64_t id = 0;
  std::int64_t run = 0;
  std::string project;
  std::string environment;
  pipelines::DeploymentState state = pipelines::DeploymentState::kPending;
  std::string image;
  std::string tag;
  std::optional<std::string> digest;
  std::optional<std::string> gitops_commit;
  std::optional<std::string> reason;
  std::string created_at;
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
  std::optional<std::string> triggered_by;
  std::optional<std::string> triggered_at;
  std::optional<std::string> expires_at;        // a waiting deployment is cancelled after this
  std::optional<std::string> triggered_person;  // whom triggered_by (a token) belongs to
  std::optional<std::string> committed_at;      // when its GitOps commit was recorded
  // A rollback: the deployment it undoes (its image is an earlier deployment's).
  std::optional<std::int64_t> rollback_of;
  std::optional<std::string> rollback_commit;  // the commit that undid this one
};

// A new deployment, `pending`, for an image a run pushed. At most one per run and environment:
// recording it again returns the existing one.
Result<DeploymentRecord> create_deployment(Database& db, const DeploymentRecord& d,
                                           const std::string& now);

// Moves a deployment along the DESIGN state machine; an illegal transition is an error and
// writes nothing. `commit` is recorded when given.
Result<void> set_deployment_state(Database& db, std::int64_t id, pipelines::DeploymentState to,
                                  const std::optional<std::string>& reason,
                                  const std::optional<std::string>& commit, const std::string& now);

Result<std::optional<DeploymentRecord>> find_deployment(Database& db, std::int64_t id);
Result<std::optional<DeploymentRecord>> deployment_of_run(Database& db, std::int64_t run);
// Newest first; with `before`, only deployments whose id is below it (the next page's cursor);
// with `state`, only those in it.
Result<std::vector<DeploymentRecord>> list_deployments(
    Database& db, const std::optional<std::string>& project, int limit,
    std::optional<std::int64_t> before = std::nullopt,
    std::optional<pipelines::DeploymentState> state = std::nullopt);
// Records who triggered a pending deployment (a token or user name, and the person it belongs
// to when known), clearing the note on why it waited.
Result<void> set_deployment_trigger(Database& db, std::int64_t id, const std::string& who,
                                    const std::string& person, const std::string& now);
Result<void> set_deployment_expiry(Database& db, std::int64_t id, const std::string& expires_at);
// Why a deployment waits, for whoever looks at it (the reason column; its state is unchanged).
Result<void> set_deployment_note(Database& db, std::int64_t id, const std::string& reason);
// What an environment runs or is about to: its newest successful deployment (by the time it
// succeeded) and every deployment still waiting or running, with their runs' commits; runs
// other than `except_run` only.
struct EnvironmentCommit {
  std::int64_t deployment = 0;
  pipelines::DeploymentState state = pipelines::DeploymentState::kPending;
  std::string sha;
  bool operator==(const EnvironmentCommit&) const = default;
};
Result<std::vector<EnvironmentCommit>> environment_commits(Database& db, const std::string& project,
                                                           const std::string& environment,
                                                           std::int64_t except_run);
// Waiting (`pending` or `awaiting_approval`) deployments of the same project and environment
// older than `newer`: a new deployment supersedes them.
Result<std::vector<DeploymentRecord>> superseded_by(Database& db, const DeploymentRecord& newer);
// `awaiting_approval` deployments whose expires_at has passed at `now`.
Result<std::vector<DeploymentRecord>> expired_deployments(Database& db, const std::string& now);
Result<std::vector<DeploymentRecord>> deployments_in_state(Database& db,
                                                           pipelines::DeploymentState state);
// Newest first: at most `limit` deployments in `state` whose id is below `before`.
Result<std::vector<DeploymentRecord>> deployments_in_state_before(Database& db,
                                                                  pipelines::DeploymentState state,
                                                                  int limit, std::int64_t before);
// How many deployments each (environment, state) has, over all projects.
Result<std::map<std::pair<std::string, std::string>, std::int64_t>> count_deployments(Database& db);
// Whether juanie pushed `image`:`tag` as `digest` for `project` (a push or a deployment
// recorded it): the image an earlier run of the same commit pushed.
Result<bool> image_recorded(Database& db, const std::string& project, const std::string& image,
                            const std::string& tag, const std::string& digest);
Result<void> record_pushed_image(Database& db, const std::string& project, const std::string& image,
                                 const std::string& tag, const std::string& digest,
                                 const std::string& now);
// The newest deployment of an environment whose GitOps commit is `commit`: the one a Flux
// event about that revision speaks of.
Result<std::optional<DeploymentRecord>> deployment_with_commit(Database& db,
                                                               const std::string& project,
                                                               const std::string& environment,
                                                               const std::string& commit);
// What an environment ran before `except`: its newest successful deployment (by when it
// succeeded) of another image, not itself rolled back (by hand); with `tag`, the newest such of
// that tag.
Result<std::optional<DeploymentRecord>> previous_success(
    Database& db, const std::string& project, const std::string& environment, std::int64_t except,
    const std::optional<std::string>& tag = std::nullopt);
// A new `pending` deployment of `restored`'s image (and run) that undoes `undone`.
Result<DeploymentRecord> create_rollback(Database& db, const DeploymentRecord& undone,
                                         const DeploymentRecord& restored, const std::string& now);
// `failed` → `rolled_back`, naming the commit that restored the environment.
Result<void> mark_rolled_back(Database& db, std::int64_t id, const std::string& commit,
                              const std::string& now);
// A deployment of the same environment recorded after `d` (other than `except`) that has
// replaced `d`'s image or is replacing it (committed, or being written): going back to what
// ran before `d` would undo it too.
Result<std::optional<std::int64_t>> newer_commit(Database& db, const DeploymentRecord& d,
                                                 std::int64_t except = 0);
// Records the commit that rolled a deployment back, whatever its state (a successful one
// rolled back by hand stays `success`, and is no longer a rollback target).
Result<void> set_rollback_commit(Database& db, std::int64_t id, const std::string& commit);
// The deployments of one environment, newest first.
Result<std::vector<DeploymentRecord>> environment_history(Database& db, const std::string& project,
                                                          const std::string& environment,
                                                          int limit);
// Deployments a crash left `running`: their GitOps write is done again (it is idempotent).
Result<std::vector<DeploymentRecord>> running_deployments(Database& db);

}  // namespace juanie::daemon::store
