#include "daemon/store/commit_statuses.hpp"

namespace juanie::daemon::store {

Result<void> set_status_projects(Database& db, const std::vector<std::string>& projects) {
  if (auto ok = db.exec("DELETE FROM status_projects"); !ok) return ok;
  auto insert = db.prepare("INSERT INTO status_projects (name) VALUES (?1) ON CONFLICT DO NOTHING");
  if (!insert) return std::unexpected(insert.error());
  for (const auto& name : projects) {
    insert->bind(1, name);
    if (auto ok = insert->run(); !ok) return ok;
    insert->reset();
  }
  return {};
}

Result<void> set_status_report(Database& db, std::int64_t run, const std::string& report) {
  auto stmt = db.prepare("UPDATE runs SET status_report = ?2 WHERE id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, run).bind(2, report);
  return stmt->run();
}

Result<std::optional<std::string>> status_report(Database& db, std::int64_t run) {
  auto stmt = db.prepare("SELECT status_report FROM runs WHERE id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, run);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return stmt->optional_text(0);
}

}  // namespace juanie::daemon::store
