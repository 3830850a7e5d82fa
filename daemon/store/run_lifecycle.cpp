#include "daemon/store/run_lifecycle.hpp"

#include <algorithm>

#include "daemon/store/pg_connection.hpp"
#include "daemon/store/state_column.hpp"
#include "daemon/store/step_logs.hpp"

namespace juanie::daemon::store {

using pipelines::RunState;

Result<void> set_run_state(Database& db, std::int64_t run, RunState to,
                           const std::optional<std::string>& reason, const std::string& now) {
  auto current = db.cached("SELECT state, node FROM runs WHERE id = ?1");
  if (!current) return std::unexpected(current.error());
  current->bind(1, run);
  auto row = current->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorKind::kNotFound, "no run " + std::to_string(run));
  const auto from = state_column(*current, 0, pipelines::parse_run_state);
  // Several nodes: a running run is moved only by the node that holds it. One whose lease
  // passed was taken back (and may run elsewhere now): what its old node still has to say
  // about it must change nothing. Others ask it to stop (request_cancel).
  if (const auto holder = current->optional_text(1);
      from == RunState::kRunning && !db.node().empty() && holder && *holder != db.node()) {
    return fail(ErrorKind::kConflict,
                "run " + std::to_string(run) + " is held by node " + *holder + ", not this one");
  }
  if (auto ok = pipelines::transition(from, to); !ok) {
    return fail(ErrorKind::kConflict, "run " + std::to_string(run) + ": " + ok.error().message);
  }
  const char* sql = to == RunState::kRunning ? "UPDATE runs SET state = ?2, reason = ?3, "
                                               "started_at = ?4, finished_at = NULL WHERE id = ?1"
                    : to == RunState::kQueued
                        ? "UPDATE runs SET state = ?2, reason = ?3, started_at = NULL WHERE id = ?1"
                        : "UPDATE runs SET state = ?2, reason = ?3, finished_at = ?4 WHERE id = ?1";
  auto update = db.cached(sql);
  if (!update) return std::unexpected(update.error());
  update->bind(1, run).bind(2, pipelines::to_string(to)).bind_optional(3, reason);
  // PostgreSQL refuses a parameter its statement never names (it cannot tell its type).
  if (to != RunState::kQueued) update->bind(4, now);
  if (auto ok = update->run(); !ok) return ok;
  return notify_run_log(db, run);  // a follower's log ends with the run
}

Result<CancelOutcome> cancel_run(Database& db, std::int64_t run, const std::string& reason,
                                 const std::string& now) {
  auto ok = set_run_state(db, run, RunState::kCancelled, reason, now);
  if (ok) return CancelOutcome::kCancelled;
  if (ok.error().kind != ErrorKind::kConflict || db.node().empty()) {
    return std::unexpected(ok.error());
  }
  auto mark = db.cached(
      "UPDATE runs SET cancel_reason = ?2 WHERE id = ?1 AND state = 'running' AND node != ?3");
  if (!mark) return std::unexpected(mark.error());
  mark->bind(1, run).bind(2, reason).bind(3, db.node());
  if (auto done = mark->run(); !done) return std::unexpected(done.error());
  if (db.changes() == 0) return std::unexpected(ok.error());
  return CancelOutcome::kAsked;
}

Result<void> requeue_run(Database& db, std::int64_t run, const std::string& reason,
                         const std::string& now) {
  if (auto ok = set_run_state(db, run, RunState::kQueued, reason, now); !ok) return ok;
  // The next attempt starts from the beginning: its steps and their logs anew.
  for (const char* sql :
       {"DELETE FROM step_log_chunks WHERE run_id = ?1", "DELETE FROM steps WHERE run_id = ?1"}) {
    auto clear = db.prepare(sql);
    if (!clear) return std::unexpected(clear.error());
    clear->bind(1, run);
    if (auto ok = clear->run(); !ok) return ok;
  }
  return notify_run_log(db, run);
}

Result<HandBack> hand_back_run(Database& db, std::int64_t run,
                               const std::vector<std::string>& labels, const std::string& reason,
                               const std::string& now) {
  if (db.backend() != Backend::kPostgresql || db.node().empty()) {
    return fail(ErrorKind::kInvalid, "only a node sharing a store hands runs back");
  }
  const std::string array = *pg::Param::array(labels).value;  // a text[] literal
  auto able = db.prepare("SELECT count(*) FROM nodes WHERE labels @> CAST(?1 AS text[])");
  if (!able) return std::unexpected(able.error());
  able->bind(1, array);
  auto row = able->step();
  if (!row) return std::unexpected(row.error());
  if (!*row || able->int64(0) == 0) return HandBack::kNoNodeHasThem;
  // Locked to the end of the transaction: the lease cannot pass to another node in between.
  auto held = db.prepare(
      "SELECT node, cancel_reason FROM runs WHERE id = ?1 AND state = 'running' FOR "
      "UPDATE");
  if (!held) return std::unexpected(held.error());
  held->bind(1, run);
  auto found = held->step();
  if (!found) return std::unexpected(found.error());
  if (!*found || held->optional_text(0) != db.node()) {
    return fail(ErrorKind::kConflict,
                "run " + std::to_string(run) + " is not held running by node " + db.node());
  }
  // A cancel asked on another node while this one read the pipeline: the run ends here.
  if (!held->is_null(1)) return HandBack::kCancelAsked;
  if (auto ok = requeue_run(db, run, reason, now); !ok) return std::unexpected(ok.error());
  auto ask = db.prepare(
      "UPDATE runs SET runs_on = CAST(?2 AS text[]), node = NULL, lease_until = NULL "
      "WHERE id = ?1");
  if (!ask) return std::unexpected(ask.error());
  ask->bind(1, run).bind(2, array);
  if (auto ok = ask->run(); !ok) return std::unexpected(ok.error());
  return HandBack::kQueued;
}

Result<void> save_step(Database& db, std::int64_t run, const StepRecord& s) {
  if (!db.node().empty()) {
    // Several nodes: only the run's holder writes its steps. The row stays locked to the end
    // of the transaction, so the lease cannot pass to another node between this and the write.
    auto held = db.cached("SELECT node FROM runs WHERE id = ?1 FOR SHARE");
    if (!held) return std::unexpected(held.error());
    held->bind(1, run);
    auto row = held->step();
    if (!row) return std::unexpected(row.error());
    if (!*row || held->optional_text(0) != db.node()) {
      return fail(ErrorKind::kConflict, "run " + std::to_string(run) + " is not held by node " +
                                            db.node() + ": its step is not recorded");
    }
    held->reset();
  }
  auto stmt = db.cached(
      "INSERT INTO steps (run_id, idx, name, state, exit_code, reason, started_at, finished_at, "
      "log) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
      "ON CONFLICT (run_id, idx) DO UPDATE SET state = excluded.state, "
      "exit_code = excluded.exit_code, reason = excluded.reason, "
      "started_at = coalesce(steps.started_at, excluded.started_at), "
      "finished_at = excluded.finished_at, log = excluded.log");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, run).bind(2, static_cast<std::int64_t>(s.index)).bind(3, s.name);
  stmt->bind(4, std::string(pipelines::to_string(s.state)));
  if (s.exit_code) {
    stmt->bind(5, *s.exit_code);
  } else {
    stmt->bind(5, std::nullopt);
  }
  stmt->bind_optional(6, s.reason).bind_optional(7, s.started_at).bind_optional(8, s.finished_at);
  stmt->bind_optional(9, s.log);
  if (auto ok = stmt->run(); !ok) return ok;
  return notify_run_log(db, run);
}

Result<std::vector<StepRecord>> list_steps(Database& db, std::int64_t run) {
  auto stmt = db.prepare(
      "SELECT idx, name, state, exit_code, reason, started_at, finished_at, log FROM steps "
      "WHERE run_id = ?1 ORDER BY idx");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, run);
  std::vector<StepRecord> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    StepRecord s;
    s.index = static_cast<int>(stmt->int64(0));
    s.name = stmt->text(1);
    s.state = state_column(*stmt, 2, pipelines::parse_step_state);
    if (!stmt->is_null(3)) s.exit_code = stmt->int64(3);
    s.reason = stmt->optional_text(4);
    s.started_at = stmt->optional_text(5);
    s.finished_at = stmt->optional_text(6);
    s.log = stmt->optional_text(7);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<pipelines::QueuedRun>> queued_runs(Database& db) {
  auto stmt = db.prepare(
      "SELECT id, project, ref, coalesce(pr_fork, 0) FROM runs WHERE state = 'queued' ORDER BY "
      "id");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<pipelines::QueuedRun> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({stmt->int64(0), stmt->text(1), stmt->text(2), stmt->int64(3) != 0});
  }
  return out;
}

Result<std::map<std::string, pipelines::RunningRuns>> running_per_project(Database& db) {
  auto stmt = db.prepare(
      "SELECT project, count(*), sum(CASE WHEN coalesce(pr_fork, 0) != 0 THEN 1 ELSE 0 END) "
      "FROM runs WHERE state = "
      "'running' GROUP BY project");
  if (!stmt) return std::unexpected(stmt.error());
  std::map<std::string, pipelines::RunningRuns> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out[stmt->text(0)] = {static_cast<int>(stmt->int64(1)), static_cast<int>(stmt->int64(2))};
  }
  return out;
}

Result<Recovered> recover_interrupted_runs(Database& db, bool requeue, int max_attempts,
                                           const std::string& now,
                                           const std::optional<std::string>& node) {
  auto stmt = db.prepare(
      "UPDATE runs SET interruptions = interruptions + 1 WHERE state = 'running' "
      "AND (CAST(?1 AS TEXT) IS NULL OR node = ?1) RETURNING id, interruptions, cancel_reason");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind_optional(1, node);
  struct Interrupted {
    std::int64_t id;
    std::int64_t interruptions;
    std::optional<std::string> cancel_reason;
    bool operator<(const Interrupted& o) const { return id < o.id; }
  };
  std::vector<Interrupted> runs;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    runs.push_back({stmt->int64(0), stmt->int64(1), stmt->optional_text(2)});
  }
  std::sort(runs.begin(), runs.end());
  Recovered out;
  for (const auto& [id, interruptions, cancel_reason] : runs) {
    Result<void> ok;
    if (cancel_reason) {
      // Cancelled while it ran (a pull request moved on or closed): not to be run again.
      ok = set_run_state(db, id, RunState::kCancelled, *cancel_reason, now);
      ++out.cancelled;
    } else if (interruptions >= max_attempts) {
      ok = set_run_state(db, id, RunState::kFailed,
                         "interrupted " + std::to_string(interruptions) +
                             " times (limits.run_attempts: " + std::to_string(max_attempts) +
                             "); not queued again",
                         now);
      ++out.failed;
    } else if (requeue) {
      ok = requeue_run(db, id, "interrupted by a daemon restart; queued again", now);
      ++out.requeued;
    } else {
      ok = set_run_state(db, id, RunState::kFailed, "interrupted by a daemon restart", now);
      ++out.failed;
    }
    if (!ok) return std::unexpected(ok.error());
  }
  return out;
}

}  // namespace juanie::daemon::store
