#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "pipelines/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

// A thin RAII layer over SQLite that checks every return code and turns failures into Errors
// naming the statement's purpose and SQLite's message.
namespace juanie::daemon::store {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool owned = true)
      : db_(db), stmt_(stmt), owned_(owned) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::nullopt_t);
  Statement& bind_optional(int index, const std::optional<std::string>& text);

  // true while there is a row; an error for anything but SQLITE_ROW / SQLITE_DONE.
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
};

class Database {
 public:
  static Result<Database> open(const std::filesystem::path& file, bool read_only);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // Prepared once per connection and reused: for the statements of hot paths. `sql` must be a
  // string literal (its address is the key).
  Result<Statement> cached(const char* sql);
  std::int64_t last_insert_rowid() const;
  // Rows the last INSERT, UPDATE or DELETE changed.
  int changes() const;
  std::string error_message() const;
  sqlite3* handle() const { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  void release();
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace juanie::daemon::store
