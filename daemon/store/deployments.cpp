#include "daemon/store/deployments.hpp"

#include <limits>

#include "daemon/store/state_column.hpp"

namespace juanie::daemon::store {
namespace {

constexpr const char* kColumns =
    "id, run_id, project, environment, state, image, tag, digest, gitops_commit, reason, "
    "created_at, started_at, finished_at, triggered_by, triggered_at, expires_at, "
    "triggered_person, "
    "committed_at, rollback_of, rollback_commit";

DeploymentRecord read_row(const Statement& s) {
  DeploymentRecord d;
  d.id = s.int64(0);
  d.run = s.int64(1);
  d.project = s.text(2);
  d.environment = s.text(3);
  d.state = state_column(s, 4, pipelines::parse_deployment_state);
  d.image = s.text(5);
  d.tag = s.text(6);
  d.digest = s.optional_text(7);
  d.gitops_commit = s.optional_text(8);
  d.reason = s.optional_text(9);
  d.created_at = s.text(10);
  d.started_at = s.optional_text(11);
  d.finished_at = s.optional_text(12);
  d.triggered_by = s.optional_text(13);
  d.triggered_at = s.optional_text(14);
  d.expires_at = s.optional_text(15);
  d.triggered_person = s.optional_text(16);
  d.committed_at = s.optional_text(17);
  d.rollback_of = s.optional_int64(18);
  d.rollback_commit = s.optional_text(19);
  return d;
}

Result<std::vector<DeploymentRecord>> read_all(Statement& stmt) {
  std::vector<DeploymentRecord> out;
  for (;;) {
    auto row = stmt.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(read_row(stmt));
  }
}

Result<std::optional<DeploymentRecord>> read_one(Statement& stmt) {
  auto all = read_all(stmt);
  if (!all) return std::unexpected(all.error());
  if (all->empty()) return std::optional<DeploymentRecord>{};
  return std::optional<DeploymentRecord>(std::move(all->front()));
}

}  // namespace

Result<DeploymentRecord> create_deployment(Database& db, const DeploymentRecord& d,
                                           const std::string& now) {
  auto insert = db.prepare(
      "INSERT INTO deployments (run_id, project, environment, state, image, tag, digest, "
      "created_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7) "
      "ON CONFLICT (run_id, environment) WHERE rollback_of IS NULL DO NOTHING");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, d.run).bind(2, d.project).bind(3, d.environment).bind(4, d.image).bind(5, d.tag);
  insert->bind_optional(6, d.digest).bind(7, now);
  if (auto ok = insert->run(); !ok) return std::unexpected(ok.error());
  auto stmt = db.prepare(std::string("SELECT ") + kColumns +
                         " FROM deployments WHERE run_id = ?1 AND environment = ?2 AND "
                         "rollback_of IS NULL");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, d.run).bind(2, d.environment);
  auto found = read_one(*stmt);
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail("the deployment of run " + std::to_string(d.run) + " vanished");
  return std::move(**found);
}

Result<void> set_deployment_state(Database& db, std::int64_t id, pipelines::DeploymentState to,
                                  const std::optional<std::string>& reason,
                                  const std::optional<std::string>& commit,
                                  const std::string& now) {
  auto current = find_deployment(db, id);
  if (!current) return std::unexpected(current.error());
  if (!*current) return fail(ErrorKind::kNotFound, "no deployment " + std::to_string(id));
  const auto from = (*current)->state;
  // A deployment resumed after a crash is already running: doing its write again is the point.
  if (from != to || to != pipelines::DeploymentState::kRunning) {
    if (auto ok = pipelines::transition(from, to); !ok) {
      return fail(ErrorKind::kConflict,
                  "deployment " + std::to_string(id) + ": " + ok.error().message);
    }
  }
  const bool final = to != pipelines::DeploymentState::kRunning &&
                     to != pipelines::DeploymentState::kPending &&
                     to != pipelines::DeploymentState::kAwaitingApproval &&
                     to != pipelines::DeploymentState::kDeploying;
  // committed_at: when the GitOps commit was first recorded — a rollout's clock starts there.
  auto update = db.prepare(
      "UPDATE deployments SET state = ?2, reason = coalesce(?3, reason), "
      "gitops_commit = coalesce(?4, gitops_commit), "
      "committed_at = CASE WHEN CAST(?4 AS TEXT) IS NOT NULL THEN coalesce(committed_at, ?5) "
      "ELSE committed_at END, "
      "started_at = CASE WHEN ?2 = 'running' THEN coalesce(started_at, ?5) ELSE started_at END, "
      "finished_at = CASE WHEN ?6 != 0 THEN ?5 ELSE finished_at END WHERE id = ?1");
  if (!update) return std::unexpected(update.error());
  update->bind(1, id).bind(2, pipelines::to_string(to)).bind_optional(3, reason);
  update->bind_optional(4, commit).bind(5, now).bind(6, static_cast<std::int64_t>(final));
  return update->run();
}

Result<std::optional<DeploymentRecord>> find_deployment(Database& db, std::int64_t id) {
  auto stmt = db.prepare(std::string("SELECT ") + kColumns + " FROM deployments WHERE id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, id);
  return read_one(*stmt);
}

Result<std::optional<DeploymentRecord>> deployment_of_run(Database& db, std::int64_t run) {
  auto stmt = db.prepare(std::string("SELECT ") + kColumns +
                         " FROM deployments WHERE run_id = ?1 AND rollback_of IS NULL "
                         "ORDER BY id DESC LIMIT 1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, run);
  return read_one(*stmt);
}

Result<std::vector<DeploymentRecord>> list_deployments(
    Database& db, const std::optional<std::string>& project, int limit,
    std::optional<std::int64_t> before, std::optional<pipelines::DeploymentState> state) {
  auto stmt =
      db.prepare(std::string("SELECT ") + kColumns +
                 " FROM deployments WHERE (CAST(?1 AS TEXT) IS NULL OR project = ?1) AND id < ?3 "
                 "AND (CAST(?4 AS TEXT) IS NULL OR state = ?4) ORDER BY id DESC LIMIT ?2");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind_optional(1, project).bind(2, static_cast<std::int64_t>(limit));
  if (state) {
    stmt->bind(4, std::string(pipelines::to_string(*state)));
  } else {
    stmt->bind(4, std::nullopt);
  }
  stmt->bind(3, before.value_or(std::numeric_limits<std::int64_t>::max()));
  return read_all(*stmt);
}

Result<void> set_deployment_trigger(Database& db, std::int64_t id, const std::string& who,
                                    const std::string& person, const std::string& now) {
  // A note on why it waited (an older commit held back) is answered by the trigger.
  auto update = db.prepare(
      "UPDATE deployments SET triggered_by = ?2, triggered_at = ?3, triggered_person = ?4, "
      "reason = NULL WHERE id = ?1");
  if (!update) return std::unexpected(update.error());
  update->bind(1, id).bind(2, who).bind(3, now);
  if (person.empty()) {
    update->bind(4, std::nullopt);
  } else {
    update->bind(4, person);
  }
  return update->run();
}

Result<void> set_deployment_expiry(Database& db, std::int64_t id, const std::string& expires_at) {
  auto update = db.prepare("UPDATE deployments SET expires_at = ?2 WHERE id = ?1");
  if (!update) return std::unexpected(update.error());
  update->bind(1, id).bind(2, expires_at);
  return update->run();
}

Result<void> set_deployment_note(Database& db, std::int64_t id, const std::string& reason) {
  auto update = db.prepare("UPDATE deployments SET reason = ?2 WHERE id = ?1");
  if (!update) return std::unexpected(update.error());
  update->bind(1, id).bind(2, reason);
  return update->run();
}

Result<std::vector<EnvironmentCommit>> environment_commits(Database& db, const std::string& project,
                                                           const std::string& environment,
                                                           std::int64_t except_run) {
  auto stmt = db.prepare(
      "SELECT * FROM (SELECT d.id, d.state, r.sha FROM deployments d JOIN runs r ON r.id = "
      "d.run_id "
      "WHERE d.project = ?1 AND d.environment = ?2 AND d.run_id != ?3 AND d.state = 'success' "
      "ORDER BY d.finished_at DESC NULLS LAST, d.id DESC LIMIT 1) AS newest "
      "UNION ALL SELECT d.id, d.state, r.sha FROM deployments d JOIN runs r ON r.id = d.run_id "
      "WHERE d.project = ?1 AND d.environment = ?2 AND d.run_id != ?3 AND d.state IN "
      "('pending', 'awaiting_approval', 'running', 'deploying')");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, project).bind(2, environment).bind(3, except_run);
  std::vector<EnvironmentCommit> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(
        {stmt->int64(0), state_column(*stmt, 1, pipelines::parse_deployment_state), stmt->text(2)});
  }
  return out;
}

Result<std::vector<DeploymentRecord>> superseded_by(Database& db, const DeploymentRecord& newer) {
  auto stmt = db.prepare(std::string("SELECT ") + kColumns +
                         " FROM deployments WHERE project = ?1 AND environment = ?2 AND id < ?3 "
                         "AND state IN ('pending', 'awaiting_approval') ORDER BY id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, newer.project).bind(2, newer.environment).bind(3, newer.id);
  return read_all(*stmt);
}

Result<std::vector<DeploymentRecord>> expired_deployments(Database& db, const std::string& now) {
  auto stmt = db.prepare(std::string("SELECT ") + kColumns +
                         " FROM deployments WHERE state = 'awaiting_approval' AND expires_at <= ?1 "
                         "ORDER BY id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, now);
  return read_all(*stmt);
}

Result<std::vector<DeploymentRecord>> deployments_in_state(Database& db,
                                                           pipelines::DeploymentState state) {
  auto stmt = db.prepare(std::string("SELECT ") + kColumns +
                         " FROM deployments WHERE state = ?1 ORDER BY id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, std::string(pipelines::to_string(state)));
  return read_all(*stmt);
}

Result<std::vector<DeploymentRecord>> deployments_in_state_before(Database& db,
                                                                  pipelines::DeploymentState state,
                                                                  int limit, std::int64_t before) {
  auto stmt =
      db.prepare(std::string("SELECT ") + kColumns +
                 " FROM deployments WHERE state = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, std::string(pipelines::to_string(state)))
      .bind(2, before)
      .bind(3, static_cast<std::int64_t>(limit));
  return read_all(*stmt);
}

Result<std::map<std::pair<std::string, std::string>, std::int64_t>> count_deployments(
    Database& db) {
  auto stmt = db.prepare(
      "SELECT environment, state, count(*) FROM deployments GROUP BY environment, state");
  if (!stmt) return std::unexpected(stmt.error());
  std::map<std::pair<std::string, std::string>, std::int64_t> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out[{stmt->text(0), stmt->text(1)}] = stmt->int64(2);
  }
}

Result<std::vector<DeploymentRecord>> running_deployments(Database& db) {
  auto stmt = db.prepare(std::string("SELECT ") + kColumns +
                         " FROM deployments WHERE state = 'running' ORDER BY id");
  if (!stmt) return std::unexpected(stmt.error());
  return read_all(*stmt);
}

Result<std::optional<DeploymentRecord>> deployment_with_commit(Database& db,
                                                               const std::string& project,
                                                               const std::string& environment,
                                                               const std::string& commit) {
  auto stmt = db.prepare(std::string("SELECT ") + kColumns +
                         " FROM deployments WHERE project = ?1 AND environment = ?2 AND "
                         "gitops_commit = ?3 ORDER BY state = 'deploying' DESC, id DESC LIMIT 1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, project).bind(2, environment).bind(3, commit);
  return read_one(*stmt);
}

Result<std::optional<DeploymentRecord>> previous_success(Database& db, const std::string& project,
                                                         const std::string& environment,
                                                         std::int64_t except,
                                                         const std::optional<std::string>& tag) {
  auto stmt = db.prepare(
      std::string("SELECT ") + kColumns +
      " FROM deployments WHERE project = ?1 AND environment = ?2 AND id != ?3 "
      "AND state = 'success' AND digest IS NOT NULL AND (CAST(?4 AS TEXT) IS NULL OR tag = "
      "?4) AND rollback_commit IS NULL AND digest IS DISTINCT FROM (SELECT digest FROM "
      "deployments WHERE id = ?3) ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, project).bind(2, environment).bind(3, except).bind_optional(4, tag);
  return read_one(*stmt);
}

Result<DeploymentRecord> create_rollback(Database& db, const DeploymentRecord& undone,
                                         const DeploymentRecord& restored, const std::string& now) {
  auto insert = db.prepare(
      "INSERT INTO deployments (run_id, project, environment, state, image, tag, digest, "
      "created_at, rollback_of) VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8) RETURNING id");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, restored.run).bind(2, undone.project).bind(3, undone.environment);
  insert->bind(4, restored.image).bind(5, restored.tag).bind_optional(6, restored.digest);
  insert->bind(7, now).bind(8, undone.id);
  auto id = inserted_id(*insert);
  if (!id) return std::unexpected(id.error());
  auto found = find_deployment(db, *id);
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail("the rollback of deployment " + std::to_string(undone.id) + " vanished");
  return std::move(**found);
}

Result<void> mark_rolled_back(Database& db, std::int64_t id, const std::string& commit,
                              const std::string& now) {
  if (auto ok = set_deployment_state(db, id, pipelines::DeploymentState::kRolledBack, std::nullopt,
                                     std::nullopt, now);
      !ok) {
    return ok;
  }
  return set_rollback_commit(db, id, commit);
}

Result<void> set_rollback_commit(Database& db, std::int64_t id, const std::string& commit) {
  auto update = db.prepare("UPDATE deployments SET rollback_commit = ?2 WHERE id = ?1");
  if (!update) return std::unexpected(update.error());
  update->bind(1, id).bind(2, commit);
  return update->run();
}

Result<std::optional<std::int64_t>> newer_commit(Database& db, const DeploymentRecord& d,
                                                 std::int64_t except) {
  auto stmt = db.prepare(
      "SELECT id FROM deployments WHERE project = ?1 AND environment = ?2 AND id > ?3 AND "
      "id != ?4 AND (gitops_commit IS NOT NULL OR state IN ('running', 'deploying')) "
      "ORDER BY id LIMIT 1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, d.project).bind(2, d.environment).bind(3, d.id).bind(4, except);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>(stmt->int64(0));
}

Result<std::vector<DeploymentRecord>> environment_history(Database& db, const std::string& project,
                                                          const std::string& environment,
                                                          int limit) {
  auto stmt = db.prepare(std::string("SELECT ") + kColumns +
                         " FROM deployments WHERE project = ?1 AND environment = ?2 "
                         "ORDER BY id DESC LIMIT ?3");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, project).bind(2, environment).bind(3, static_cast<std::int64_t>(limit));
  return read_all(*stmt);
}

Result<bool> image_recorded(Database& db, const std::string& project, const std::string& image,
                            const std::string& tag, const std::string& digest) {
  auto stmt = db.prepare(
      "SELECT 1 FROM deployments WHERE project = ?1 AND image = ?2 AND tag = ?3 AND digest = ?4 "
      "UNION ALL SELECT 1 FROM pushed_images WHERE project = ?1 AND image = ?2 AND tag = ?3 AND "
      "digest = ?4 LIMIT 1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, project).bind(2, image).bind(3, tag).bind(4, digest);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return *row;
}

Result<void> record_pushed_image(Database& db, const std::string& project, const std::string& image,
                                 const std::string& tag, const std::string& digest,
                                 const std::string& now) {
  auto stmt = db.prepare(
      "INSERT INTO pushed_images (project, image, tag, digest, pushed_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, project).bind(2, image).bind(3, tag).bind(4, digest).bind(5, now);
  return stmt->run();
}

}  // namespace juanie::daemon::store
