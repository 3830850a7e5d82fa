#include "daemon/store/pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>

namespace juanie::daemon::store::pg {
namespace {

constexpr std::string_view kMarker = " [SQLSTATE ";

std::string trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

ErrorKind kind_of(std::string_view state) {
  if (state == "40001" || state == "40P01") return ErrorKind::kUnavailable;
  if (state.starts_with("08") || state.starts_with("57P") || state.starts_with("53")) {
    return ErrorKind::kUnavailable;  // connection, shutdown, out of resources
  }
  if (state.starts_with("23")) return ErrorKind::kConflict;  // integrity constraints
  return ErrorKind::kFailed;
}

// PostgreSQL's messages end with a newline; the first line is the one that says what failed.
std::string first_line(const char* message) {
  std::string s = message ? message : "";
  return trimmed(s.substr(0, s.find('\n')));
}

std::unexpected<Error> failure(std::string_view what, const std::string& message,
                               std::string_view state) {
  std::string text = "postgresql: " + std::string(what) + ": " + message;
  if (!state.empty()) text += std::string(kMarker) + std::string(state) + "]";
  return fail(kind_of(state), std::move(text));
}

// What a statement is, for its errors: its first words, never its parameters.
std::string purpose(std::string_view sql) {
  std::string s = trimmed(std::string(sql.substr(0, 60)));
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return sql.size() > 60 ? s + "…" : s;
}

}  // namespace

Param Param::array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return Param(out);
}

Param Param::bigint(std::int64_t number) {
  Param p(number);
  p.integer = true;
  return p;
}

Rows::Rows(pg_result* result) : result_(result) {}

void Rows::Free::operator()(pg_result* r) const {
  PQclear(r);
}

int Rows::size() const {
  return result_ ? PQntuples(result_.get()) : 0;
}

bool Rows::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string Rows::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> Rows::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::int64_t Rows::int64(int row, int column) const {
  const char* v = PQgetvalue(result_.get(), row, column);
  if (v[0] == 't' && v[1] == '\0') return 1;
  if (v[0] == 'f' && v[1] == '\0') return 0;
  std::int64_t out = 0;
  std::from_chars(v, v + PQgetlength(result_.get(), row, column), out);
  return out;
}

std::int64_t Rows::affected() const {
  if (!result_) return 0;
  const char* n = PQcmdTuples(result_.get());
  std::int64_t out = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), out);
  return out;
}

std::string Rows::command() const {
  return result_ ? PQcmdStatus(result_.get()) : "";
}

Result<Connection> Connection::connect(const std::string& uri) {
  // The URI is expanded in place of `dbname`; what comes after it would override it, so the
  // defaults come first and the URI decides.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "juanie", uri.c_str(), nullptr};
  pg_conn* conn = PQconnectdbParams(keys, values, 1);
  if (!conn) return fail(ErrorKind::kUnavailable, "postgresql: connect: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    auto error = failure("connect", first_line(PQerrorMessage(conn)), "08001");
    PQfinish(conn);
    return error;
  }
  // Notices ("already exists, skipping") are not failures; libpq would print them to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return Connection(conn);
}

Result<Connection> Connection::connect_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorKind::kNotFound, file.string() + ": cannot read the connection URI");
  std::ostringstream text;
  text << in.rdbuf();
  const std::string uri = trimmed(text.str());
  if (uri.empty()) return fail(ErrorKind::kInvalid, file.string() + ": no connection URI in it");
  auto conn = connect(uri);
  if (!conn) {
    return fail(conn.error().kind, file.string() + ": " + conn.error().message);
  }
  return conn;
}

Connection::Connection(Connection&& other) noexcept
    : conn_(other.conn_), open_transaction_(other.open_transaction_) {
  other.conn_ = nullptr;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (conn_) PQfinish(conn_);
    conn_ = other.conn_;
    open_transaction_ = other.open_transaction_;
    other.conn_ = nullptr;
  }
  return *this;
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

Result<Rows> Connection::exec(std::string_view sql, std::initializer_list<Param> params) {
  return run(sql, std::vector<Param>(params));
}

Result<Rows> Connection::exec(std::string_view sql, const std::vector<Param>& params) {
  return run(sql, params);
}

std::optional<Result<Rows>> Connection::reconnect_for(std::string_view sql) {
  if (PQstatus(conn_) != CONNECTION_BAD) return std::nullopt;
  const std::string words = trimmed(std::string(sql.substr(0, 16)));
  const bool rollback = words.starts_with("ROLLBACK") && !words.starts_with("ROLLBACK TO");
  if (open_transaction_ && !rollback) {
    return failure(purpose(sql), "the connection was lost inside a transaction", "08006");
  }
  PQreset(conn_);
  open_transaction_ = false;
  if (PQstatus(conn_) != CONNECTION_OK) {
    return failure("reconnect", first_line(PQerrorMessage(conn_)), "08001");
  }
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  if (rollback) return Rows();  // the server rolled the transaction back with the connection
  return std::nullopt;
}

void Connection::note_transaction_status() {
  const auto status = PQtransactionStatus(conn_);
  open_transaction_ = status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

Result<Rows> Connection::run(std::string_view sql, const std::vector<Param>& params) {
  if (auto instead = reconnect_for(sql)) return std::move(*instead);
  constexpr Oid kBigint = 20;  // INT8OID, from the server's catalog headers
  std::vector<const char*> values;
  std::vector<Oid> types;
  values.reserve(params.size());
  types.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p.value ? p.value->c_str() : nullptr);
    types.push_back(p.integer ? kBigint : 0);
  }
  const std::string text(sql);
  pg_result* result = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()),
                                   types.data(), values.data(), nullptr, nullptr, 0);
  Rows rows(result);  // freed on every path below
  note_transaction_status();
  if (!result) {
    // Only when out of memory or when the connection is gone.
    return failure(purpose(sql), first_line(PQerrorMessage(conn_)), "08006");
  }
  const auto status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    return failure(purpose(sql), first_line(PQresultErrorMessage(result)),
                   state ? state : (PQstatus(conn_) == CONNECTION_BAD ? "08006" : ""));
  }
  return rows;
}

bool Connection::in_transaction() const {
  const auto status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

Result<void> Connection::exec_script(std::string_view sql) {
  if (auto instead = reconnect_for(sql)) {
    if (!*instead) return std::unexpected(instead->error());
    return {};
  }
  const std::string text(sql);
  pg_result* result = PQexec(conn_, text.c_str());
  Rows rows(result);
  note_transaction_status();
  if (!result) return failure(purpose(sql), first_line(PQerrorMessage(conn_)), "08006");
  const auto status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    return failure(purpose(sql), first_line(PQresultErrorMessage(result)), state ? state : "");
  }
  return {};
}

int Connection::backend_pid() const {
  return PQbackendPID(conn_);
}

Result<std::vector<std::string>> Connection::wait_for_notifications(
    std::string_view channel, std::chrono::milliseconds timeout) {
  std::vector<std::string> out;
  auto collect = [&] {
    while (PGnotify* n = PQnotifies(conn_)) {
      if (channel == n->relname) out.emplace_back(n->extra);
      PQfreemem(n);
    }
  };
  auto lost = [&] {
    return fail(ErrorKind::kUnavailable,
                "waiting for notifications: " + trimmed(PQerrorMessage(conn_)));
  };
  if (PQstatus(conn_) != CONNECTION_OK) return lost();
  collect();  // what an earlier statement's reply brought along
  if (!out.empty()) return out;
  pollfd socket{PQsocket(conn_), POLLIN, 0};
  const int ready = ::poll(&socket, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) return lost();
  if (ready > 0) {
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) return lost();
    collect();
  }
  return out;
}

Result<Transaction> Transaction::begin(Connection& conn, Isolation isolation) {
  const char* sql = isolation == Isolation::kSerializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                    : isolation == Isolation::kRepeatableRead
                        ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                        : "BEGIN";
  if (auto ok = conn.exec(sql); !ok) return std::unexpected(ok.error());
  return Transaction(&conn);
}

Transaction::Transaction(Transaction&& other) noexcept : conn_(other.conn_) {
  other.conn_ = nullptr;
}

Transaction::~Transaction() {
  // An error here leaves nothing to do: a dead connection has no transaction left either.
  if (conn_) (void)conn_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  if (!conn_) return fail("postgresql: COMMIT: the transaction has ended");
  Connection* conn = std::exchange(conn_, nullptr);
  // A COMMIT that fails (a deferred constraint, a serialization failure at commit) has rolled
  // back; PostgreSQL says so with its SQLSTATE, which the error carries.
  auto ok = conn->exec("COMMIT");
  if (!ok) return std::unexpected(ok.error());
  // COMMIT of a transaction a failed statement aborted answers ROLLBACK, without an error:
  // a caller that went on past that failure must not take it for a commit.
  if (ok->command() == "ROLLBACK") {
    return failure("COMMIT", "the transaction had failed and was rolled back", "25P02");
  }
  return {};
}

Result<void> Transaction::rollback() {
  if (!conn_) return {};
  auto ok = std::exchange(conn_, nullptr)->exec("ROLLBACK");
  if (!ok) return std::unexpected(ok.error());
  return {};
}

std::string_view sqlstate(const Error& error) {
  const std::string_view m = error.message;
  const auto at = m.rfind(kMarker);
  if (at == std::string_view::npos || !m.ends_with(']')) return {};
  const auto state = m.substr(at + kMarker.size(), m.size() - 1 - at - kMarker.size());
  return state.size() == 5 ? state : std::string_view{};
}

bool is_retryable(const Error& error) {
  const auto state = sqlstate(error);
  return state == "40001" || state == "40P01";
}

}  // namespace juanie::daemon::store::pg
