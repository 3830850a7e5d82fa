#include "daemon/store/outbox.hpp"

namespace juanie::daemon::store {
namespace {

constexpr const char* kColumns =
    "id, sink, event, payload, attempts, next_attempt_at, last_error, state";

Result<std::vector<OutboxMessage>> read_all(Statement& stmt) {
  std::vector<OutboxMessage> out;
  for (;;) {
    auto row = stmt.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(OutboxMessage{stmt.int64(0), stmt.text(1), stmt.text(2), stmt.text(3),
                                static_cast<int>(stmt.int64(4)), stmt.text(5),
                                stmt.optional_text(6), stmt.text(7)});
  }
}

}  // namespace

Result<void> enqueue(Database& db, const std::string& sink, const std::string& event,
                     const std::string& payload, const std::string& now) {
  auto stmt = db.prepare(
      "INSERT INTO outbox (sink, event, payload, state, next_attempt_at, created_at) "
      "VALUES (?1, ?2, ?3, 'pending', ?4, ?4)");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, sink).bind(2, event).bind(3, payload).bind(4, now);
  return stmt->run();
}

Result<std::vector<OutboxMessage>> due_messages(Database& db, const std::string& now, int limit) {
  auto stmt = db.prepare(std::string("SELECT ") + kColumns +
                         " FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1 "
                         "ORDER BY next_attempt_at, id LIMIT ?2");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, now).bind(2, static_cast<std::int64_t>(limit));
  return read_all(*stmt);
}

Result<void> mark_delivered(Database& db, std::int64_t id, const std::string& now) {
  auto stmt = db.prepare(
      "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ?2, "
      "last_error = NULL WHERE id = ?1 AND state = 'pending'");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, now);
  return stmt->run();
}

Result<void> mark_failed(Database& db, std::int64_t id, const std::string& error,
                         const std::optional<std::string>& next_attempt_at) {
  auto stmt = db.prepare(
      "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, "
      "state = CASE WHEN CAST(?3 AS TEXT) IS NULL THEN 'abandoned' ELSE 'pending' END, "
      "next_attempt_at = coalesce(?3, next_attempt_at) WHERE id = ?1 AND state = 'pending'");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, error).bind_optional(3, next_attempt_at);
  return stmt->run();
}

Result<std::vector<OutboxMessage>> list_outbox(Database& db, int limit) {
  auto stmt =
      db.prepare(std::string("SELECT ") + kColumns + " FROM outbox ORDER BY id DESC LIMIT ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, static_cast<std::int64_t>(limit));
  return read_all(*stmt);
}

Result<std::int64_t> count_pending_messages(Database& db) {
  auto stmt = db.prepare("SELECT count(*) FROM outbox WHERE state = 'pending'");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return stmt->int64(0);
}

Result<std::optional<std::string>> oldest_pending_message(Database& db) {
  auto stmt = db.prepare("SELECT min(created_at) FROM outbox WHERE state = 'pending'");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return stmt->optional_text(0);
}

}  // namespace juanie::daemon::store
