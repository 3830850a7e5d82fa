// The libpq layer against a real PostgreSQL: values travel as parameters, errors carry their
// SQLSTATE, transactions end by RAII, retryable failures are recognised.
#include "daemon/store/pg_connection.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "daemon/store/pg_fixture.hpp"
#include "support/temp_dir.hpp"

namespace juanie::daemon::store::pg {
namespace {

using test::PgTest;

TEST_F(PgTest, ParametersCarryValuesVerbatimNeverAsSql) {
  auto conn = connect();
  ASSERT_TRUE(conn.exec_script("CREATE TABLE t (id BIGINT, name TEXT)"));
  const std::string hostile = "x'); DROP TABLE t; --\n\"\\ é";
  ASSERT_TRUE(conn.exec("INSERT INTO t VALUES ($1, $2), ($3, $4)",
                        {std::int64_t{1}, hostile, 2, std::nullopt}));
  auto rows = conn.exec("SELECT id, name FROM t ORDER BY id");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2);
  EXPECT_EQ(rows->int64(0, 0), 1);
  EXPECT_EQ(rows->text(0, 1), hostile);
  EXPECT_TRUE(rows->is_null(1, 1));
  EXPECT_EQ(rows->optional_text(1, 1), std::nullopt);
  // An array parameter keeps quotes, commas and braces inside its items.
  auto any = conn.exec("SELECT count(*) FROM t WHERE name = ANY ($1::text[])",
                       {Param::array({"a,b", "{c}", hostile})});
  ASSERT_TRUE(any) << any.error().message;
  EXPECT_EQ(any->int64(0, 0), 1);
}

TEST_F(PgTest, ErrorsCarryTheirSqlstateKindAndStatement) {
  auto conn = connect();
  ASSERT_TRUE(conn.exec_script("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  ASSERT_TRUE(conn.exec("INSERT INTO t VALUES ($1)", {7}));
  auto duplicate = conn.exec("INSERT INTO t VALUES ($1)", {7});
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(sqlstate(duplicate.error()), "23505");
  EXPECT_EQ(duplicate.error().kind, ErrorKind::kConflict);
  EXPECT_NE(duplicate.error().message.find("INSERT INTO t"), std::string::npos)
      << duplicate.error().message;
  EXPECT_NE(duplicate.error().message.find("duplicate key"), std::string::npos);
  EXPECT_FALSE(is_retryable(duplicate.error()));

  auto syntax = conn.exec("SELEC 1");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(sqlstate(syntax.error()), "42601");
  // The connection is still usable after an error.
  EXPECT_TRUE(conn.exec("SELECT 1"));
}

TEST_F(PgTest, TransactionRollsBackWhenItEndsUncommitted) {
  auto conn = connect();
  ASSERT_TRUE(conn.exec_script("CREATE TABLE t (id BIGINT)"));
  {
    auto tx = Transaction::begin(conn);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(conn.exec("INSERT INTO t VALUES (1)"));
  }  // an early return: rolled back
  {
    auto tx = Transaction::begin(conn);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(conn.exec("INSERT INTO t VALUES (2)"));
    ASSERT_TRUE(tx->commit());
  }
  auto rows = conn.exec("SELECT id FROM t");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1);
  EXPECT_EQ(rows->int64(0, 0), 2);
}

// A statement failed and the caller went on to commit: PostgreSQL answers that COMMIT with
// ROLLBACK and no error; the layer reports the failure.
TEST_F(PgTest, CommitOfAFailedTransactionIsAnError) {
  auto conn = connect();
  ASSERT_TRUE(conn.exec_script("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  auto tx = Transaction::begin(conn);
  ASSERT_TRUE(tx);
  ASSERT_TRUE(conn.exec("INSERT INTO t VALUES (1)"));
  ASSERT_FALSE(conn.exec("INSERT INTO t VALUES (1)"));
  auto committed = tx->commit();
  ASSERT_FALSE(committed);
  EXPECT_EQ(sqlstate(committed.error()), "25P02") << committed.error().message;
  auto rows = conn.exec("SELECT count(*) FROM t");
  ASSERT_TRUE(rows) << rows.error().message;
  EXPECT_EQ(rows->int64(0, 0), 0);
}

// Write skew under SERIALIZABLE: each transaction reads what the other writes. PostgreSQL
// lets one commit and fails the other with 40001, which with_retry runs again.
TEST_F(PgTest, SerializationFailureIsRetryable) {
  auto a = connect();
  auto b = connect();
  ASSERT_TRUE(
      a.exec_script("CREATE TABLE doctors (name TEXT, on_call BOOLEAN);"
                    "INSERT INTO doctors VALUES ('alice', true), ('bob', true)"));
  auto ta = Transaction::begin(a, Transaction::Isolation::kSerializable);
  auto tb = Transaction::begin(b, Transaction::Isolation::kSerializable);
  ASSERT_TRUE(ta && tb);
  ASSERT_TRUE(a.exec("SELECT count(*) FROM doctors WHERE on_call"));
  ASSERT_TRUE(b.exec("SELECT count(*) FROM doctors WHERE on_call"));
  ASSERT_TRUE(a.exec("UPDATE doctors SET on_call = false WHERE name = $1", {"alice"}));
  auto second = b.exec("UPDATE doctors SET on_call = false WHERE name = $1", {"bob"});
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(ta->commit());
  auto commit = tb->commit();
  ASSERT_FALSE(commit);
  EXPECT_EQ(sqlstate(commit.error()), "40001") << commit.error().message;
  EXPECT_TRUE(is_retryable(commit.error()));
  EXPECT_EQ(commit.error().kind, ErrorKind::kUnavailable);

  int attempts = 0;
  auto retried = with_retry(3, [&]() -> Result<void> {
    ++attempts;
    auto tx = Transaction::begin(b, Transaction::Isolation::kSerializable);
    if (!tx) return std::unexpected(tx.error());
    if (attempts == 1) return fail(ErrorKind::kUnavailable, "x [SQLSTATE 40001]");
    return tx->commit();
  });
  EXPECT_TRUE(retried);
  EXPECT_EQ(attempts, 2);
}

// Two sessions lock two rows in opposite orders: PostgreSQL breaks the deadlock by failing one
// of them with 40P01, a retryable error.
TEST_F(PgTest, DeadlockIsRetryable) {
  auto a = connect();
  auto b = connect();
  ASSERT_TRUE(
      a.exec_script("CREATE TABLE t (id BIGINT PRIMARY KEY); INSERT INTO t VALUES (1), (2)"));
  auto ta = Transaction::begin(a);
  auto tb = Transaction::begin(b);
  ASSERT_TRUE(ta && tb);
  ASSERT_TRUE(a.exec("SELECT id FROM t WHERE id = 1 FOR UPDATE"));
  ASSERT_TRUE(b.exec("SELECT id FROM t WHERE id = 2 FOR UPDATE"));
  Result<Rows> from_a;
  std::thread waiter([&] { from_a = a.exec("SELECT id FROM t WHERE id = 2 FOR UPDATE"); });
  // Wait until a's session is seen waiting for the lock, so b's request closes the cycle.
  auto observer = connect();
  for (;;) {
    auto waiting = observer.exec("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = $1",
                                 {a.backend_pid()});
    ASSERT_TRUE(waiting);
    if (waiting->int64(0, 0) > 0) break;
    std::this_thread::yield();
  }
  auto from_b = b.exec("SELECT id FROM t WHERE id = 1 FOR UPDATE");
  if (from_b) (void)tb->rollback();  // b won: let a's request through
  waiter.join();
  ASSERT_NE(from_a.has_value(), from_b.has_value()) << "exactly one of them is the victim";
  const Error& error = from_a ? from_b.error() : from_a.error();
  EXPECT_EQ(sqlstate(error), "40P01") << error.message;
  EXPECT_TRUE(is_retryable(error));
}

TEST_F(PgTest, ConnectsFromTheUriInAFile) {
  test::TempDir dir;
  const auto file = dir.write("store.url", "  " + uri_ + "\n");
  auto conn = Connection::connect_file(file);
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_TRUE(conn->exec("SELECT 1"));

  auto empty = Connection::connect_file(dir.write("empty.url", "\n"));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(empty.error().message.find("empty.url"), std::string::npos);

  auto missing = Connection::connect_file(dir / "missing.url");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing.url"), std::string::npos);
}

// TLS settings are libpq's, read from the URI: asking for TLS of a server without it fails
// rather than falling back to clear text. And the URI's password is never repeated.
TEST_F(PgTest, TlsOptionsOfTheUriReachLibpqAndPasswordsStayOut) {
  std::string tls = uri_;
  tls.replace(tls.find("sslmode=disable"), 15, "sslmode=require");
  auto refused = Connection::connect(tls);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("SSL"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnavailable);

  std::string with_password = uri_;
  with_password.replace(with_password.find("juanie@"), 7, "nobody:hunter2-secret@");
  auto denied = Connection::connect(with_password);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().message.find("hunter2"), std::string::npos) << denied.error().message;

  auto malformed = Connection::connect("postgresql://juanie@127.0.0.1:1/x?sslmode=sometimes");
  ASSERT_FALSE(malformed);
  EXPECT_NE(malformed.error().message.find("sslmode"), std::string::npos)
      << malformed.error().message;
}

}  // namespace
}  // namespace juanie::daemon::store::pg
