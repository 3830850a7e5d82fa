#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/error.hpp"

struct pg_conn;
struct pg_result;

// A thin layer over libpq for the shared store of several build nodes (issue 15). Values only
// ever travel as parameters (PQexecParams, text format): no SQL is built from a value. Every
// failure is an Error whose message names what was being done, PostgreSQL's message and its
// SQLSTATE as a trailing "[SQLSTATE xxxxx]" (sqlstate() reads it back), with a kind a caller
// can act on: kUnavailable for what a retry may cure (connection lost, serialization failure,
// deadlock), kConflict for a broken unique or check constraint.
namespace juanie::daemon::store::pg {

// One parameter: text as PostgreSQL reads it, or NULL.
struct Param {
  Param(std::nullopt_t) {}  // NOLINT: NULL reads naturally in a parameter list
  Param(std::string_view text) : value(std::string(text)) {}      // NOLINT
  Param(const char* text) : value(std::string(text)) {}           // NOLINT
  Param(const std::string& text) : value(text) {}                 // NOLINT
  Param(std::int64_t number) : value(std::to_string(number)) {}   // NOLINT
  Param(int number) : value(std::to_string(number)) {}            // NOLINT
  Param(bool flag) : value(flag ? "true" : "false") {}            // NOLINT
  Param(const std::optional<std::string>& text) : value(text) {}  // NOLINT
  // A text[] literal of `items` (each quoted and escaped): for `= ANY($1)` and `<@ $1`.
  static Param array(const std::vector<std::string>& items);
  // A number sent as bigint, where nothing in the statement may tell its type
  // (`$1 IS NULL OR id = $1`): the store's statements, written for SQLite, bind them so.
  static Param bigint(std::int64_t number);

  std::optional<std::string> value;
  // Sent as bigint (Param::bigint); otherwise untyped, for PostgreSQL to infer from where it
  // stands (an int argument takes an untyped number, not a bigint one).
  bool integer = false;
};

// The rows of one statement; the result is freed when this ends.
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result);
  int size() const;
  bool empty() const { return size() == 0; }
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  std::optional<std::string> optional_text(int row, int column) const;
  // Also a boolean's 't' or 'f' as 1 or 0, as SQLite's comparisons give them.
  std::int64_t int64(int row, int column) const;
  // Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t affected() const;
  // The command tag ("INSERT 0 1", "COMMIT", "ROLLBACK" …).
  std::string command() const;

 private:
  struct Free {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Free> result_;
};

class Connection {
 public:
  // `uri`: a libpq connection URI or keyword string, taken as is — TLS (sslmode, sslrootcert,
  // sslcert, sslkey…), target_session_attrs and the rest are libpq's to read. A connect
  // timeout of 10 s applies unless the URI names its own. The URI is never repeated in an
  // error: it may carry a password.
  static Result<Connection> connect(const std::string& uri);
  // The URI from `file` (store.url_file in secrets_dir), surrounding whitespace ignored.
  static Result<Connection> connect_file(const std::filesystem::path& file);

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // One statement with its parameters ($1, $2 …).
  Result<Rows> exec(std::string_view sql, std::initializer_list<Param> params = {});
  Result<Rows> exec(std::string_view sql, const std::vector<Param>& params);
  // Several statements, no parameters: a migration's DDL, written in the source.
  Result<void> exec_script(std::string_view sql);

  // Inside a transaction (also one a failed statement aborted).
  bool in_transaction() const;

  // The server's process id for this session (pg_backend_pid): names the session in a test.
  int backend_pid() const;

  // LISTEN's side, on a session that ran `LISTEN channel`: the payloads of the notifications
  // on `channel` that arrived, waiting up to `timeout` for the first (empty: none came). An
  // error when the connection is lost; the next exec makes it again (LISTEN anew).
  Result<std::vector<std::string>> wait_for_notifications(std::string_view channel,
                                                          std::chrono::milliseconds timeout);

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  Result<Rows> run(std::string_view sql, const std::vector<Param>& params);
  // A lost connection is made again before the next statement — unless it was lost inside a
  // transaction, whose later statements must not run as transactions of their own: those fail
  // until the ROLLBACK, which then succeeds (the server has rolled back) and reconnects.
  // nullopt: go on with `sql`; otherwise what to answer instead.
  std::optional<Result<Rows>> reconnect_for(std::string_view sql);
  void note_transaction_status();
  pg_conn* conn_ = nullptr;
  bool open_transaction_ = false;  // as the last statement left it
};

// BEGIN … COMMIT; rolled back when it ends uncommitted (an early return, an error).
class Transaction {
 public:
  enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };
  static Result<Transaction> begin(Connection& conn,
                                   Isolation isolation = Isolation::kReadCommitted);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Result<void> commit();
  Result<void> rollback();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_ = nullptr;  // null once committed or rolled back
};

// The SQLSTATE an Error of this layer carries ("" when it carries none).
std::string_view sqlstate(const Error& error);
// A serialization failure (40001) or a deadlock (40P01): the transaction was rolled back and
// running it again may succeed.
bool is_retryable(const Error& error);

// Runs `work` (which begins and commits its own transaction) again while it fails with a
// retryable error, at most `attempts` times in all.
template <typename Work>
auto with_retry(int attempts, Work&& work) -> decltype(work()) {
  auto outcome = work();
  for (int i = 1; i < attempts && !outcome && is_retryable(outcome.error()); ++i) {
    outcome = work();
  }
  return outcome;
}

}  // namespace juanie::daemon::store::pg
