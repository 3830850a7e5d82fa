#include "daemon/store/retention.hpp"

namespace juanie::daemon::store {
namespace {

constexpr const char* kFinished = "state IN ('succeeded', 'failed', 'cancelled')";

Result<std::vector<std::int64_t>> ids(Statement& stmt) {
  std::vector<std::int64_t> out;
  for (;;) {
    auto row = stmt.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(stmt.int64(0));
  }
}

// Runs `sql` once per id, ?1 bound to it.
Result<void> for_each_id(Database& db, const char* sql, const std::vector<std::int64_t>& list) {
  auto stmt = db.prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  for (auto id : list) {
    stmt->reset();
    stmt->bind(1, id);
    if (auto ok = stmt->run(); !ok) return ok;
  }
  return {};
}

}  // namespace

Result<std::vector<std::int64_t>> runs_with_logs_finished_before(Database& db,
                                                                 const std::string& cutoff,
                                                                 int limit) {
  auto stmt = db.prepare(std::string("SELECT id FROM runs WHERE finished_at < ?1 AND ") +
                         kFinished + " AND logs_removed_at IS NULL ORDER BY finished_at LIMIT ?2");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, cutoff).bind(2, std::int64_t{limit});
  return ids(*stmt);
}

Result<void> mark_logs_removed(Database& db, const std::vector<std::int64_t>& runs,
                               const std::string& now) {
  auto stmt = db.prepare("UPDATE runs SET logs_removed_at = ?2 WHERE id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  for (auto id : runs) {
    stmt->reset();
    stmt->bind(1, id).bind(2, now);
    if (auto ok = stmt->run(); !ok) return ok;
  }
  // The logs a shared store holds go with the files (empty on SQLite).
  return for_each_id(db, "DELETE FROM step_log_chunks WHERE run_id = ?1", runs);
}

Result<std::vector<std::int64_t>> delete_runs_finished_before(Database& db,
                                                              const std::string& cutoff,
                                                              int limit) {
  auto select =
      db.prepare(std::string("SELECT id FROM runs r WHERE finished_at < ?1 AND ") + kFinished +
                 " AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.run_id = r.id) "
                 // The newest run stays: SQLite gives a new row the highest id + 1, so deleting the
                 // highest would hand its id to the next run (links and audit text naming it).
                 "AND r.id < (SELECT max(id) FROM runs) "
                 "ORDER BY finished_at LIMIT ?2");
  if (!select) return std::unexpected(select.error());
  select->bind(1, cutoff).bind(2, std::int64_t{limit});
  auto doomed = ids(*select);
  if (!doomed) return doomed;
  for (const char* sql :
       {"UPDATE runs SET retry_of = NULL WHERE retry_of = ?1",
        "DELETE FROM step_log_chunks WHERE run_id = ?1", "DELETE FROM steps WHERE run_id = ?1",
        "DELETE FROM deliveries WHERE run_id = ?1", "DELETE FROM runs WHERE id = ?1"}) {
    if (auto ok = for_each_id(db, sql, *doomed); !ok) return std::unexpected(ok.error());
  }
  auto outbox = db.prepare(
      "DELETE FROM outbox WHERE state IN ('delivered', 'abandoned') AND created_at < ?1");
  if (!outbox) return std::unexpected(outbox.error());
  outbox->bind(1, cutoff);
  if (auto ok = outbox->run(); !ok) return std::unexpected(ok.error());
  // Flux repeats its news (info events on every reconciliation): weighed ones go like runs
  // do. The newest stays, so its id is never handed to the next event.
  auto flux = db.prepare(
      "DELETE FROM flux_events WHERE outcome IS NOT NULL AND received_at < ?1 "
      "AND id < (SELECT max(id) FROM flux_events)");
  if (!flux) return std::unexpected(flux.error());
  flux->bind(1, cutoff);
  if (auto ok = flux->run(); !ok) return std::unexpected(ok.error());
  return doomed;
}

Result<bool> logs_kept(Database& db, std::int64_t run) {
  auto stmt = db.prepare("SELECT 1 FROM runs WHERE id = ?1 AND logs_removed_at IS NULL");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, run);
  return stmt->step();
}

}  // namespace juanie::daemon::store
