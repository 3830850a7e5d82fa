#include "daemon/store/database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "daemon/store/pg_connection.hpp"

namespace juanie::daemon::store {

struct PgSession {
  pg::Connection conn;
  std::string node;
  int last_changes = 0;
  std::int64_t total_changes = 0;
  // cached(): the translated text of each literal, translated once.
  std::unordered_map<const char*, std::string> translated;
};

// A statement runs when it is first stepped, with what was bound; its rows are then read one by
// one from the whole result, as SQLite hands them out.
struct PgStatement {
  PgSession* session = nullptr;
  std::string sql;
  std::vector<pg::Param> params;
  std::optional<pg::Rows> rows;
  int row = -1;

  void set(int index, pg::Param value) {
    if (index < 1) return;
    if (params.size() < static_cast<std::size_t>(index))
      params.resize(index, pg::Param(std::nullopt));
    params[index - 1] = std::move(value);
  }
};

std::string postgresql_parameters(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int highest = 0;
  for (std::size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // A quoted text or name, its doubled quote included, copied as it is.
      std::size_t end = i + 1;
      while (end < sql.size()) {
        if (sql[end] == c) {
          if (end + 1 < sql.size() && sql[end + 1] == c) {
            end += 2;
            continue;
          }
          break;
        }
        ++end;
      }
      end = std::min(end + 1, sql.size());
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const auto end = std::min(sql.find('\n', i), sql.size());
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '?') {
      std::size_t end = i + 1;
      int number = 0;
      while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') {
        number = number * 10 + (sql[end] - '0');
        ++end;
      }
      if (end == i + 1) number = highest + 1;
      highest = std::max(highest, number);
      out += '$';
      out += std::to_string(number);
      i = end;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

Result<std::int64_t> inserted_id(Statement& insert) {
  auto row = insert.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail("an insert gave back no id");
  const auto id = insert.int64(0);
  // The rest of the statement (nothing, on both backends) before the caller goes on.
  if (auto done = insert.run(); !done) return std::unexpected(done.error());
  return id;
}

void PgStatementFree::operator()(PgStatement* p) const {
  delete p;
}

void PgSessionFree::operator()(PgSession* p) const {
  delete p;
}

Statement::Statement(PgStatementPtr pg) : pg_(std::move(pg)) {}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      owned_(other.owned_),
      pg_(std::move(other.pg_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    this->~Statement();
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    owned_ = other.owned_;
    pg_ = std::move(other.pg_);
  }
  return *this;
}

Statement::~Statement() {
  if (!stmt_) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

// Bind failures only come from a wrong index or out of memory; both surface at step() as
// SQLITE_MISUSE / SQLITE_NOMEM, which step() reports.
Statement& Statement::bind(int index, std::string_view text) {
  if (pg_) {
    pg_->set(index, pg::Param(text));
    return *this;
  }
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (pg_) {
    pg_->set(index, pg::Param::bigint(value));
    return *this;
  }
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  if (pg_) {
    pg_->set(index, pg::Param(std::nullopt));
    return *this;
  }
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::bind_optional(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind(index, std::nullopt);
}

Result<bool> Statement::step() {
  if (pg_) {
    if (!pg_->rows) {
      auto rows = pg_->session->conn.exec(pg_->sql, pg_->params);
      if (!rows) return std::unexpected(rows.error());
      pg_->session->last_changes = static_cast<int>(rows->affected());
      pg_->session->total_changes += rows->affected();
      pg_->rows = std::move(*rows);
      pg_->row = -1;
    }
    return ++pg_->row < pg_->rows->size();
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(std::string("sqlite: ") + sqlite3_errmsg(db_) + " in: " + sqlite3_sql(stmt_));
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

void Statement::reset() {
  if (pg_) {
    pg_->rows.reset();
    pg_->params.clear();
    pg_->row = -1;
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64(int column) const {
  if (pg_) return pg_->rows->int64(pg_->row, column);
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
  if (pg_) return pg_->rows->text(pg_->row, column);
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

bool Statement::is_null(int column) const {
  if (pg_) return pg_->rows->is_null(pg_->row, column);
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<Database> Database::open(const std::filesystem::path& file, bool read_only) {
  sqlite3* db = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return fail("cannot open database " + file.string() + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  return Database(db);
}

Result<Database> Database::open_postgresql(pg::Connection conn, bool read_only, std::string node) {
  if (read_only) {
    if (auto ok = conn.exec_script("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"); !ok) {
      return std::unexpected(ok.error());
    }
  }
  PgSessionPtr session(new PgSession{std::move(conn), std::move(node)});
  return Database(std::move(session));
}

Database::Database(PgSessionPtr pg) : pg_(std::move(pg)) {}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      cache_(std::move(other.cache_)),
      pg_(std::move(other.pg_)) {
  other.cache_.clear();
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    release();
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
    other.cache_.clear();
    pg_ = std::move(other.pg_);
  }
  return *this;
}

void Database::release() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
  if (db_) sqlite3_close(db_);
  db_ = nullptr;
  pg_.reset();
}

Database::~Database() {
  release();
}

const std::string& Database::node() const {
  static const std::string kNone;  // a constant, not state: one node has no name here
  return pg_ ? pg_->node : kNone;
}

pg::Connection* Database::postgresql() const {
  return pg_ ? &pg_->conn : nullptr;
}

Result<Statement> Database::cached(const char* sql) {
  if (pg_) {
    auto it = pg_->translated.find(sql);
    if (it == pg_->translated.end()) {
      it = pg_->translated.emplace(sql, postgresql_parameters(sql)).first;
    }
    PgStatementPtr statement(new PgStatement);
    statement->session = pg_.get();
    statement->sql = it->second;
    return Statement(std::move(statement));
  }
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      return fail(std::string("sqlite: ") + sqlite3_errmsg(db_) + " preparing: " + sql);
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return Statement(db_, it->second, false);
}

Result<void> Database::exec(std::string_view sql) {
  if (pg_) return pg_->conn.exec_script(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string text = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return fail("sqlite: " + text + " in: " + std::string(sql.substr(0, 80)));
}

Result<Statement> Database::prepare(std::string_view sql) {
  if (pg_) {
    PgStatementPtr statement(new PgStatement);
    statement->session = pg_.get();
    statement->sql = postgresql_parameters(sql);
    return Statement(std::move(statement));
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return fail(std::string("sqlite: ") + sqlite3_errmsg(db_) + " preparing: " + std::string(sql));
  }
  return Statement(db_, stmt);
}

int Database::changes() const {
  return pg_ ? pg_->last_changes : sqlite3_changes(db_);
}

std::int64_t Database::total_changes() const {
  return pg_ ? pg_->total_changes : sqlite3_total_changes64(db_);
}

Result<void> Database::begin() {
  return exec(pg_ ? "BEGIN" : "BEGIN IMMEDIATE");
}

Result<void> Database::commit() {
  if (!pg_) return exec("COMMIT");
  auto done = pg_->conn.exec("COMMIT");
  if (!done) return std::unexpected(done.error());
  if (done->command() == "ROLLBACK") {
    return fail(
        "postgresql: COMMIT: the transaction had failed and was rolled back [SQLSTATE 25P02]");
  }
  return {};
}

bool Database::in_transaction() const {
  return pg_ ? pg_->conn.in_transaction() : sqlite3_get_autocommit(db_) == 0;
}

}  // namespace juanie::daemon::store
