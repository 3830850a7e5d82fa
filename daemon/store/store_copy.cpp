#include "daemon/store/store_copy.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "daemon/store/pg_schema.hpp"
#include "daemon/store/schema.hpp"
#include "daemon/store/step_logs.hpp"
#include "daemon/support/file_range.hpp"
#include "pipelines/encoding.hpp"

namespace juanie::daemon::store {
namespace {

// Table names go into SQL text (they cannot be parameters): only the schema's own names pass.
bool plain_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string quoted(const std::string& name) {
  return "\"" + name + "\"";
}

Result<std::vector<std::string>> sqlite_texts(Database& db, const std::string& sql, int column) {
  auto stmt = db.prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<std::string> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(stmt->text(column));
  }
}

// The tables in an order where each comes after those its foreign keys name.
Result<std::vector<std::string>> tables_in_key_order(Database& from) {
  auto names = sqlite_texts(from,
                            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                            "LIKE 'sqlite_%' AND name != 'nodes' ORDER BY name",
                            0);
  if (!names) return std::unexpected(names.error());
  std::map<std::string, std::set<std::string>> needs;
  for (const auto& name : *names) {
    if (!plain_name(name)) return fail("the SQLite store has a table named \"" + name + "\"");
    auto parents = sqlite_texts(from, "PRAGMA foreign_key_list(" + quoted(name) + ")", 2);
    if (!parents) return std::unexpected(parents.error());
    for (const auto& parent : *parents) {
      if (parent != name) needs[name].insert(parent);
    }
  }
  std::vector<std::string> order;
  std::set<std::string> placed;
  while (order.size() < names->size()) {
    const auto before = order.size();
    for (const auto& name : *names) {
      if (placed.contains(name)) continue;
      const auto& parents = needs[name];
      if (std::all_of(parents.begin(), parents.end(),
                      [&](const std::string& p) { return placed.contains(p); })) {
        order.push_back(name);
        placed.insert(name);
      }
    }
    if (order.size() == before) return fail("the SQLite store's foreign keys form a cycle");
  }
  return order;
}

struct Column {
  std::string name;
  bool array = false;  // text[] on PostgreSQL, a JSON array on SQLite
};

Result<std::vector<Column>> columns_of(Database& from, pg::Connection& to,
                                       const std::string& table) {
  auto mine = sqlite_texts(from, "PRAGMA table_info(" + quoted(table) + ")", 1);
  if (!mine) return std::unexpected(mine.error());
  auto theirs = to.exec(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
      "current_schema() AND table_name = $1",
      {table});
  if (!theirs) return std::unexpected(theirs.error());
  std::map<std::string, std::string> types;
  for (int r = 0; r < theirs->size(); ++r) types[theirs->text(r, 0)] = theirs->text(r, 1);
  if (types.size() != mine->size()) {
    return fail("table " + table + " has " + std::to_string(mine->size()) +
                " columns in SQLite and " + std::to_string(types.size()) + " in PostgreSQL");
  }
  std::vector<Column> out;
  for (const auto& name : *mine) {
    auto type = types.find(name);
    if (type == types.end() || !plain_name(name)) {
      return fail("column " + table + "." + name + " is not in PostgreSQL's " + table);
    }
    out.push_back({name, type->second == "ARRAY"});
  }
  return out;
}

// One table, in batches of rows per INSERT (PostgreSQL takes at most 65535 parameters).
Result<std::int64_t> copy_table(Database& from, pg::Connection& to, const std::string& table,
                                const std::vector<Column>& columns) {
  std::string names;
  std::string select;
  for (const auto& c : columns) {
    names += (names.empty() ? "" : ", ") + quoted(c.name);
    select += (select.empty() ? "" : ", ") + quoted(c.name);
  }
  // In id order where there are ids: a run's retry_of names an earlier run.
  const bool ids =
      std::any_of(columns.begin(), columns.end(), [](const Column& c) { return c.name == "id"; });
  const std::string order = ids ? " ORDER BY id" : "";
  sqlite3_stmt* stmt = nullptr;
  // The generic read needs each value's own type, which Statement does not expose: the raw
  // statement is read through the handle of the same connection.
  auto raw = sqlite3_prepare_v2(from.sqlite_handle(),
                                ("SELECT " + select + " FROM " + quoted(table) + order).c_str(), -1,
                                &stmt, nullptr);
  if (raw != SQLITE_OK) return fail("sqlite: " + std::string(sqlite3_errmsg(from.sqlite_handle())));
  const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(stmt, sqlite3_finalize);
  const int width = static_cast<int>(columns.size());
  const int batch = std::max(1, std::min(500, 60000 / width));
  std::vector<pg::Param> params;
  int in_batch = 0;
  std::int64_t copied = 0;
  auto flush = [&]() -> Result<void> {
    if (in_batch == 0) return {};
    std::string sql = "INSERT INTO " + quoted(table) + " (" + names + ") VALUES ";
    int n = 0;
    for (int r = 0; r < in_batch; ++r) {
      sql += r == 0 ? "(" : ", (";
      for (int c = 0; c < width; ++c) {
        const std::string p = "$" + std::to_string(++n);
        sql += (c == 0 ? "" : ", ") +
               (columns[c].array ? "ARRAY(SELECT json_array_elements_text(CAST(" + p + " AS json)))"
                                 : p);
      }
      sql += ")";
    }
    auto done = to.exec(sql, params);
    if (!done) return std::unexpected(done.error());
    copied += done->affected();
    params.clear();
    in_batch = 0;
    return {};
  };
  while (true) {
    const int step = sqlite3_step(stmt);
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW) {
      return fail("sqlite: reading " + table + ": " + sqlite3_errmsg(from.sqlite_handle()));
    }
    for (int c = 0; c < width; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_NULL:
          params.emplace_back(std::nullopt);
          break;
        case SQLITE_BLOB:
          params.emplace_back(  // bytea's hex input
              "\\x" + pipelines::hex_encode(std::string_view(
                          static_cast<const char*>(sqlite3_column_blob(stmt, c)),
                          static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)))));
          break;
        default:
          params.emplace_back(
              std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                          static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
      }
    }
    if (++in_batch == batch) {
      if (auto ok = flush(); !ok) return std::unexpected(ok.error());
    }
  }
  if (auto ok = flush(); !ok) return std::unexpected(ok.error());
  return copied;
}

Result<std::int64_t> count_rows(pg::Connection& to, const std::string& table) {
  auto n = to.exec("SELECT count(*) FROM " + quoted(table));
  if (!n) return std::unexpected(n.error());
  return n->int64(0, 0);
}

// Each step log file the SQLite store names, into step_log_chunks as the shipper of a node
// writes them (step_logs.hpp): chunks of at most kLogChunkMax at their offsets.
Result<void> copy_step_logs(Database& from, pg::Connection& to, CopySummary& summary) {
  auto steps = from.prepare(
      "SELECT s.run_id, s.idx, s.log FROM steps s JOIN runs r ON r.id = s.run_id "
      "WHERE s.log IS NOT NULL AND r.logs_removed_at IS NULL ORDER BY s.run_id, s.idx");
  if (!steps) return std::unexpected(steps.error());
  while (true) {
    auto row = steps->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    const std::string file = steps->text(2);
    // Never written (a step that did not start), or removed by hand.
    if (!std::ifstream(file, std::ios::binary)) continue;
    ++summary.step_logs;
    for (std::uint64_t at = 0;;) {
      const std::string chunk = read_file_range(file, at, kLogChunkMax);
      if (chunk.empty()) break;
      auto stored = to.exec(
          "INSERT INTO step_log_chunks (run_id, step_index, at, bytes) "
          "VALUES ($1, $2, $3, decode($4, 'hex'))",
          {pg::Param::bigint(steps->int64(0)), pg::Param::bigint(steps->int64(1)),
           pg::Param::bigint(static_cast<std::int64_t>(at)), pipelines::hex_encode(chunk)});
      if (!stored) return std::unexpected(stored.error());
      at += chunk.size();
      summary.log_bytes += chunk.size();
    }
  }
}

Result<CopySummary> copy_in_transaction(Database& from, pg::Connection& to,
                                        const std::string& node) {
  CopySummary summary;
  auto tables = tables_in_key_order(from);
  if (!tables) return std::unexpected(tables.error());
  // Nodes started on the store meanwhile wait (or fail their statements) until the COMMIT:
  // nothing is written beside the copy.
  std::string all;
  for (const auto& t : *tables) all += (all.empty() ? "" : ", ") + quoted(t);
  if (auto locked = to.exec("LOCK TABLE " + all + " IN ACCESS EXCLUSIVE MODE"); !locked) {
    return std::unexpected(locked.error());
  }
  for (const auto& t : *tables) {
    auto held = count_rows(to, t);
    if (!held) return std::unexpected(held.error());
    if (*held > 0) {
      return fail(ErrorKind::kConflict,
                  "the PostgreSQL store already holds a history (" + std::to_string(*held) +
                      " rows in " + t +
                      "): store migrate moves a history into an empty store; nothing was changed");
    }
  }
  // The copied rows are history, not news: the tables' triggers (a deployment's state queues a
  // commit status) must not fire for them. ALTER TABLE is transactional: the COMMIT or the
  // ROLLBACK puts them back as they were.
  for (const auto& t : *tables) {
    if (auto off = to.exec("ALTER TABLE " + quoted(t) + " DISABLE TRIGGER USER"); !off) {
      return std::unexpected(off.error());
    }
  }
  for (const auto& t : *tables) {
    auto columns = columns_of(from, to, t);
    if (!columns) return std::unexpected(columns.error());
    auto copied = copy_table(from, to, t, *columns);
    if (!copied) return std::unexpected(copied.error());
    summary.tables.push_back({t, *copied});
    if (std::any_of(columns->begin(), columns->end(),
                    [](const Column& c) { return c.name == "id"; })) {
      // Identities BY DEFAULT take the copied ids; the next new id comes after them.
      auto next = to.exec("SELECT setval(pg_get_serial_sequence($1, 'id'), max(id)) FROM " +
                              quoted(t) + " HAVING max(id) IS NOT NULL",
                          {t});
      if (!next) return std::unexpected(next.error());
    }
  }
  for (const auto& t : *tables) {
    if (auto on = to.exec("ALTER TABLE " + quoted(t) + " ENABLE TRIGGER USER"); !on) {
      return std::unexpected(on.error());
    }
  }
  if (auto logs = copy_step_logs(from, to, summary); !logs) return std::unexpected(logs.error());
  auto interrupted =
      to.exec("UPDATE runs SET node = $1, lease_until = now() WHERE state = 'running'", {node});
  if (!interrupted) return std::unexpected(interrupted.error());
  summary.interrupted_runs = interrupted->affected();
  return summary;
}

}  // namespace

Result<CopySummary> copy_sqlite_to_postgresql(Database& from, pg::Connection& to,
                                              const std::string& node) {
  if (from.backend() != Backend::kSqlite || !from.sqlite_handle()) {
    return fail("store migrate copies from a SQLite store");
  }
  auto version = sqlite_texts(from, "PRAGMA user_version", 0);
  if (!version) return std::unexpected(version.error());
  const int found = version->empty() ? 0 : std::stoi(version->front());
  if (found != schema_version()) {
    return fail("the SQLite store is at schema version " + std::to_string(found) +
                " and this juanie writes " + std::to_string(schema_version()) +
                (found < schema_version()
                     ? ": start this juanie once on it (store.backend: sqlite) to bring it up to "
                       "date, stop it, then migrate"
                     : ": migrate with the juanie that wrote it"));
  }
  // A new database gets the schema; one at another version is not touched (it may be a live
  // store of older nodes, whom an upgrade would leave behind).
  auto stored = pg::stored_version(to);
  if (!stored) return std::unexpected(stored.error());
  if (*stored != 0 && *stored != pg::schema_version()) {
    return fail(ErrorKind::kConflict,
                "the PostgreSQL store is at schema version " + std::to_string(*stored) +
                    " and this juanie writes " + std::to_string(pg::schema_version()) +
                    ": store migrate moves a history into an empty store of its own version; "
                    "nothing was changed");
  }
  if (*stored == 0) {
    auto migrated = pg::migrate(to);
    if (!migrated) return std::unexpected(migrated.error());
  }
  // One snapshot of the SQLite file for the whole copy.
  if (auto begun = from.exec("BEGIN"); !begun) return std::unexpected(begun.error());
  if (auto begun = to.exec("BEGIN"); !begun) {
    (void)from.exec("ROLLBACK");
    return std::unexpected(begun.error());
  }
  auto summary = copy_in_transaction(from, to, node);
  (void)from.exec("ROLLBACK");  // it only read
  if (!summary) {
    (void)to.exec("ROLLBACK");
    return summary;
  }
  auto committed = to.exec("COMMIT");
  if (!committed) return std::unexpected(committed.error());
  if (committed->command() != "COMMIT") return fail("PostgreSQL did not commit the copy");
  summary->version = found;
  return summary;
}

}  // namespace juanie::daemon::store
