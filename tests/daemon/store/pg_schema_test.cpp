// The PostgreSQL schema: equal to SQLite's at the same version, applied once however many
// nodes start at once, and a newer database refused.
#include "daemon/store/pg_schema.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <map>
#include <thread>
#include <vector>

#include "daemon/store/pg_fixture.hpp"
#include "daemon/store/schema.hpp"
#include "support/temp_dir.hpp"

namespace juanie::daemon::store::pg {
namespace {

using test::PgTest;
using Columns = std::map<std::string, std::vector<std::string>>;

Columns sqlite_columns() {
  test::TempDir dir;
  auto db = Database::open(dir / "juanie.db", false);
  EXPECT_TRUE(db);
  EXPECT_TRUE(migrate(*db));
  Columns out;
  auto tables = db->prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  EXPECT_TRUE(tables);
  while (tables->step().value_or(false)) {
    const std::string table = tables->text(0);
    auto info = db->prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid");
    EXPECT_TRUE(info);
    info->bind(1, table);
    while (info->step().value_or(false)) out[table].push_back(info->text(0));
  }
  return out;
}

Columns postgres_columns(Connection& conn) {
  auto rows = conn.exec(
      "SELECT table_name, column_name FROM information_schema.columns "
      "WHERE table_schema = 'public' AND table_name NOT LIKE 'juanie\\_%' "
      "ORDER BY table_name, ordinal_position");
  EXPECT_TRUE(rows);
  Columns out;
  for (int i = 0; i < rows->size(); ++i) out[rows->text(i, 0)].push_back(rows->text(i, 1));
  return out;
}

std::vector<std::string> sqlite_indexes() {
  test::TempDir dir;
  auto db = Database::open(dir / "juanie.db", false);
  EXPECT_TRUE(db && migrate(*db));
  std::vector<std::string> out;
  auto rows = db->prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name");
  while (rows && rows->step().value_or(false)) out.push_back(rows->text(0));
  return out;
}

TEST_F(PgTest, SchemaEqualsSqlitesAtTheSameVersion) {
  EXPECT_EQ(pg::schema_version(), store::schema_version())
      << "a migration was added to one backend only";
  auto conn = connect();
  auto migrated = pg::migrate(conn);
  ASSERT_TRUE(migrated) << migrated.error().message;
  EXPECT_EQ(postgres_columns(conn), sqlite_columns());

  // The same named indexes (PostgreSQL's own for keys and unique columns aside).
  auto rows = conn.exec(
      "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
      "AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key' ORDER BY indexname");
  ASSERT_TRUE(rows);
  std::vector<std::string> indexes;
  for (int i = 0; i < rows->size(); ++i) indexes.push_back(rows->text(i, 0));
  EXPECT_EQ(indexes, sqlite_indexes());
}

// Many nodes start on one fresh database at the same moment: the first to hold the advisory
// lock applies the schema, the others wait for it and find it done.
TEST_F(PgTest, ConcurrentMigratorsApplyTheSchemaOnce) {
  constexpr int kNodes = 6;
  std::vector<Connection> conns;
  for (int i = 0; i < kNodes; ++i) conns.push_back(connect());
  std::vector<Result<Migrated>> results(kNodes);
  std::latch start(kNodes);
  std::vector<std::thread> nodes;
  for (int i = 0; i < kNodes; ++i) {
    nodes.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = pg::migrate(conns[i]);
    });
  }
  for (auto& t : nodes) t.join();
  int applied = 0;
  int appliers = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->to, pg::schema_version());
    applied += r->applied;
    appliers += r->applied > 0;
  }
  // 16 (the consolidated schema) and each later migration, once each, all by one node.
  EXPECT_EQ(applied, 1 + pg::schema_version() - 16);
  EXPECT_EQ(appliers, 1);
  auto history = conns[0].exec(
      "SELECT count(*), count(DISTINCT version), count(DISTINCT backend), min(version), "
      "max(version) FROM juanie_migrations");
  ASSERT_TRUE(history);
  EXPECT_EQ(history->int64(0, 0), applied);
  EXPECT_EQ(history->int64(0, 1), applied);
  EXPECT_EQ(history->int64(0, 2), 1);
  EXPECT_EQ(history->int64(0, 3), 16);
  EXPECT_EQ(history->int64(0, 4), pg::schema_version());

  auto again = pg::migrate(conns[1]);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->applied, 0);
}

TEST_F(PgTest, OlderDatabaseIsUpgradedFromItsVersion) {
  auto conn = connect();
  auto at16 = pg::migrate(conn, 16);
  ASSERT_TRUE(at16) << at16.error().message;
  EXPECT_EQ(at16->to, 16);
  EXPECT_EQ(stored_version(conn).value_or(-1), 16);
  auto up = pg::migrate(conn);
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_EQ(up->from, 16);
  EXPECT_EQ(up->to, pg::schema_version());
  EXPECT_EQ(up->applied, pg::schema_version() - 16);
}

TEST_F(PgTest, NewerDatabaseIsRefusedAndLeftAlone) {
  auto conn = connect();
  ASSERT_TRUE(pg::migrate(conn));
  ASSERT_TRUE(conn.exec("UPDATE juanie_schema SET version = $1", {999}));
  auto refused = pg::migrate(conn);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("schema version 999, newer than this juanie"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(stored_version(conn).value_or(-1), 999);
  // The refusal released the migrations' lock: another session can take it.
  auto other = connect();
  auto lock = other.exec("SELECT pg_try_advisory_lock($1)", {std::int64_t{0x6a75616e6965}});
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->text(0, 0), "t");
}

// Migration 14's triggers, in PostgreSQL's form: every state change of a run of a reporting
// project queues its commit status, a newer one abandoning the older.
TEST_F(PgTest, StatusTriggersQueueCommitStatuses) {
  auto conn = connect();
  ASSERT_TRUE(pg::migrate(conn));
  ASSERT_TRUE(conn.exec("INSERT INTO status_projects VALUES ($1)", {"shop"}));
  auto run = conn.exec(
      "INSERT INTO runs (project, ref, ref_kind, branch, sha, deploy_trigger, trigger, state, "
      "created_at) VALUES ($1, 'refs/heads/main', 'branch', 'main', 'abc', 'push', 'push', "
      "'queued', '2026-12-01T00:00:00Z') RETURNING id",
      {"shop"});
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(conn.exec("UPDATE runs SET state = 'running' WHERE id = $1", {run->int64(0, 0)}));
  ASSERT_TRUE(conn.exec("UPDATE runs SET reason = 'x' WHERE id = $1", {run->int64(0, 0)}));
  auto outbox =
      conn.exec("SELECT state, payload::json->>'state', supersede_key FROM outbox ORDER BY id");
  ASSERT_TRUE(outbox) << outbox.error().message;
  ASSERT_EQ(outbox->size(), 2);  // the reason alone changed no state
  EXPECT_EQ(outbox->text(0, 0), "abandoned");
  EXPECT_EQ(outbox->text(1, 0), "pending");
  EXPECT_EQ(outbox->text(1, 1), "running");
  EXPECT_EQ(outbox->text(1, 2), "shop abc run");
  // A project that does not report queues nothing.
  ASSERT_TRUE(conn.exec(
      "INSERT INTO runs (project, ref, ref_kind, branch, sha, deploy_trigger, trigger, state, "
      "created_at) VALUES ('quiet', 'r', 'branch', 'b', 'def', 'push', 'push', 'queued', 'x')"));
  auto count = conn.exec("SELECT count(*) FROM outbox");
  ASSERT_TRUE(count);
  EXPECT_EQ(count->int64(0, 0), 2);
}

}  // namespace
}  // namespace juanie::daemon::store::pg
