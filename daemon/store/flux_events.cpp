#include "daemon/store/flux_events.hpp"

namespace juanie::daemon::store {
namespace {

// The object, the revision (or its absence) and the reason: what makes two events the same
// news. Each field is length-prefixed, so no field's text can pass for a field boundary.
std::string dedupe_key(const flux::FluxEvent& e) {
  std::string key;
  for (const std::string* field : {&e.kind, &e.namespace_, &e.name, &e.reason}) {
    key += std::to_string(field->size()) + ":" + *field;
  }
  key += e.revision ? std::to_string(e.revision->size()) + ":" + *e.revision : std::string("-");
  return key;
}

}  // namespace

Result<FluxIntake> record_flux_event(Database& db, const std::string& project,
                                     const flux::FluxEvent& e, const std::string& now) {
  auto insert = db.cached(
      "INSERT INTO flux_events (project, dedupe_key, received_at, kind, name, namespace, "
      "severity, reason, message, event_time, revision, gitops_commit) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
      "ON CONFLICT (project, dedupe_key) WHERE outcome IS NULL DO NOTHING RETURNING id");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, project).bind(2, dedupe_key(e)).bind(3, now).bind(4, e.kind).bind(5, e.name);
  insert->bind(6, e.namespace_).bind(7, e.severity).bind(8, e.reason).bind(9, e.message);
  insert->bind(10, e.timestamp).bind_optional(11, e.revision).bind_optional(12, e.commit);
  auto inserted = insert->step();
  if (!inserted) return std::unexpected(inserted.error());
  if (*inserted) return FluxIntake{insert->int64(0), true};
  auto seen = db.cached(
      "SELECT id FROM flux_events WHERE project = ?1 AND dedupe_key = ?2 AND outcome IS NULL");
  if (!seen) return std::unexpected(seen.error());
  seen->bind(1, project).bind(2, dedupe_key(e));
  auto row = seen->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail("a Flux event was neither stored nor found");
  return FluxIntake{seen->int64(0), false};
}

Result<std::vector<FluxEventRecord>> unprocessed_flux_events(Database& db, int limit,
                                                             std::int64_t after) {
  auto stmt = db.prepare(
      "SELECT id, project, received_at, kind, name, namespace, severity, reason, message, "
      "event_time, revision, gitops_commit FROM flux_events WHERE outcome IS NULL "
      "AND id > ?2 ORDER BY id LIMIT ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, static_cast<std::int64_t>(limit));
  stmt->bind(2, after);
  std::vector<FluxEventRecord> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    FluxEventRecord r;
    r.id = stmt->int64(0);
    r.project = stmt->text(1);
    r.received_at = stmt->text(2);
    r.event.kind = stmt->text(3);
    r.event.name = stmt->text(4);
    r.event.namespace_ = stmt->text(5);
    r.event.severity = stmt->text(6);
    r.event.reason = stmt->text(7);
    r.event.message = stmt->text(8);
    r.event.timestamp = stmt->text(9);
    r.event.revision = stmt->optional_text(10);
    r.event.commit = stmt->optional_text(11);
    out.push_back(std::move(r));
  }
}

Result<void> set_flux_event_outcome(Database& db, std::int64_t id, const std::string& outcome,
                                    const std::string& now) {
  auto stmt = db.prepare(
      "UPDATE flux_events SET outcome = ?2, processed_at = ?3 WHERE id = ?1 AND outcome IS NULL");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, outcome).bind(3, now);
  if (auto ok = stmt->run(); !ok) return ok;
  if (db.changes() == 0) {
    return fail(ErrorKind::kConflict,
                "Flux event " + std::to_string(id) + " is unknown or was processed already");
  }
  return {};
}

}  // namespace juanie::daemon::store
