#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "pipelines/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

// One connection to the store, on SQLite (one node: a file) or PostgreSQL (several nodes: one
// database), checking every return code and turning failures into Errors naming the statement
// and the backend's message.
//
// Why one class for both backends rather than a store per backend: the store's hundred-odd
// statements are written once, in the SQL both understand (`?` parameters, ON CONFLICT DO
// NOTHING, RETURNING id, integers for flags, RFC 3339 text for times), so the two stores cannot
// drift apart; on PostgreSQL a statement's `?` and `?N` become `$N` when it is prepared. What
// only one backend does (SQLite's pragmas, PostgreSQL's claims and advisory locks) is asked of
// the backend's own handle.
namespace juanie::daemon::store {

namespace pg {
class Connection;
}
struct PgStatement;
struct PgSession;
// Deleters defined where the two are: the headers' users never see libpq.
struct PgStatementFree {
  void operator()(PgStatement* p) const;
};
struct PgSessionFree {
  void operator()(PgSession* p) const;
};
using PgStatementPtr = std::unique_ptr<PgStatement, PgStatementFree>;
using PgSessionPtr = std::unique_ptr<PgSession, PgSessionFree>;

enum class Backend { kSqlite, kPostgresql };

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool owned = true)
      : db_(db), stmt_(stmt), owned_(owned) {}
  explicit Statement(PgStatementPtr pg);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::nullopt_t);
  Statement& bind_optional(int index, const std::optional<std::string>& text);

  // true while there is a row; an error for anything but a row or the end.
  Result<bool> step();
  // Runs to completion, ignoring rows.
  Result<void> run();
  void reset();

  std::int64_t int64(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_ = true;  // a cached statement is reset, not finalized, when this ends
  PgStatementPtr pg_;
};

class Database {
 public:
  // A SQLite file.
  static Result<Database> open(const std::filesystem::path& file, bool read_only);
  // A PostgreSQL session; `read_only` makes every transaction of it read-only. `node`: the
  // build node this session writes for, whose runs it may move (set_run_state).
  static Result<Database> open_postgresql(pg::Connection conn, bool read_only,
                                          std::string node = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  Backend backend() const { return pg_ ? Backend::kPostgresql : Backend::kSqlite; }
  // The node this session writes for (several nodes sharing a store); empty otherwise.
  const std::string& node() const;

  // One or several statements without parameters.
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // Prepared once per connection and reused: for the statements of hot paths. `sql` must be a
  // string literal (its address is the key).
  Result<Statement> cached(const char* sql);
  // Rows the last INSERT, UPDATE or DELETE changed.
  int changes() const;
  // Rows changed by this connection since it opened: whether a transaction wrote anything.
  std::int64_t total_changes() const;

  // A write transaction: SQLite's BEGIN IMMEDIATE (the write lock now, not at the first
  // write), PostgreSQL's BEGIN (READ COMMITTED; row locks as it goes).
  Result<void> begin();
  // COMMIT; an error when nothing was committed — including PostgreSQL's COMMIT of a
  // transaction a failed statement aborted, which answers ROLLBACK without an error.
  Result<void> commit();
  bool in_transaction() const;

  // The backend's own handles, for what only it does; null on the other backend.
  sqlite3* sqlite_handle() const { return db_; }
  pg::Connection* postgresql() const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  explicit Database(PgSessionPtr pg);
  void release();
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
  PgSessionPtr pg_;
};

// The id an INSERT … RETURNING id gave back.
Result<std::int64_t> inserted_id(Statement& insert);

// `sql` with SQLite's parameters (`?`, `?N`) written as PostgreSQL's (`$N`), numbered as SQLite
// numbers them; quoted text, quoted names and comments are left as they are.
std::string postgresql_parameters(std::string_view sql);

}  // namespace juanie::daemon::store
