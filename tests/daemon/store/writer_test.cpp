#include "daemon/store/writer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "daemon/store/runs.hpp"
#include "support/temp_dir.hpp"

namespace juanie::daemon::store {
namespace {

RunRequest request(int i) {
  RunRequest r;
  r.project = "p";
  r.forge = "github";
  r.delivery = "d" + std::to_string(i);
  r.event = "push";
  r.ref = "refs/heads/develop";
  r.ref_kind = "branch";
  r.branch = "develop";
  char sha[41];
  std::snprintf(sha, sizeof sha, "%040x", i + 1);
  r.sha = sha;
  return r;
}

Result<void> record(Database& db, int i) {
  auto r = record_push(db, request(i), "t");
  if (!r) return std::unexpected(r.error());
  return {};
}

TEST(Writer, ConcurrentSubmitsAreAllDurableWhenDoneIsCalled) {
  test::TempDir dir;
  auto writer = Writer::open(dir / "juanie.db", 100000);
  ASSERT_TRUE(writer) << writer.error().message;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::atomic<int> ok{0};
  std::atomic<int> visible{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::promise<void> done;
        const auto req = request(t * kPerThread + i);
        (*writer)->submit(
            [req](Database& db) -> Result<void> {
              auto r = record_push(db, req, "t");
              if (!r) return std::unexpected(r.error());
              return {};
            },
            [&, req](Result<void> r) {
              if (r) {
                ++ok;
                // Another connection sees the row the moment done is called: it is committed.
                auto reader = Database::open(dir / "juanie.db", true);
                auto stmt =
                    reader->prepare("SELECT count(*) FROM deliveries WHERE delivery_id = ?1");
                stmt->bind(1, req.delivery);
                if (stmt->step().value_or(false) && stmt->int64(0) == 1) ++visible;
              }
              done.set_value();
            });
        done.get_future().wait();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(visible.load(), kThreads * kPerThread);
}

TEST(Writer, AFailingJobDoesNotUndoItsBatchNeighbours) {
  test::TempDir dir;
  auto writer = Writer::open(dir / "juanie.db", 100);
  ASSERT_TRUE(writer);
  std::promise<Result<void>> good, bad;
  // Submitted back to back, these usually share a transaction.
  (*writer)->submit([](Database& db) { return record(db, 1); },
                    [&](Result<void> r) { good.set_value(r); });
  (*writer)->submit(
      [](Database& db) -> Result<void> {
        if (auto r = record_push(db, request(2), "t"); !r) return std::unexpected(r.error());
        return db.exec("INSERT INTO nonexistent VALUES (1)");
      },
      [&](Result<void> r) { bad.set_value(r); });
  EXPECT_TRUE(good.get_future().get());
  EXPECT_FALSE(bad.get_future().get());
  (*writer)->stop();
  auto db = Database::open(dir / "juanie.db", true);
  EXPECT_EQ(count_deliveries(*db).value(), 1);  // the failed job's run was rolled back
}

// SQLite ends a whole transaction by itself on some errors — ON CONFLICT ROLLBACK here, a full
// disk or an I/O error in production — taking the batch's other jobs with it. They run again
// alone and commit, and each caller is told what happened to its own write.
TEST(Writer, ABatchRolledBackAsAWholeIsRetriedJobByJob) {
  test::TempDir dir;
  auto writer = Writer::open(dir / "juanie.db", 100);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(write_and_wait(**writer, [](Database& db) {
    return db.exec("CREATE TABLE t (v TEXT UNIQUE); INSERT INTO t VALUES ('taken')");
  }));
  // Hold the writer's thread so that the three jobs below wait together: one batch.
  std::promise<void> holding, release;
  std::shared_future<void> released = release.get_future().share();
  (*writer)->submit(
      [&holding, released](Database&) -> Result<void> {
        holding.set_value();
        released.wait();
        return {};
      },
      [](Result<void>) {});
  holding.get_future().wait();
  std::promise<Result<void>> first, bad, last;
  (*writer)->submit([](Database& db) { return db.exec("INSERT INTO t VALUES ('a')"); },
                    [&](Result<void> r) { first.set_value(r); });
  (*writer)->submit(
      [](Database& db) { return db.exec("INSERT OR ROLLBACK INTO t VALUES ('taken')"); },
      [&](Result<void> r) { bad.set_value(r); });
  (*writer)->submit([](Database& db) { return db.exec("INSERT INTO t VALUES ('c')"); },
                    [&](Result<void> r) { last.set_value(r); });
  EXPECT_EQ((*writer)->pending(), 3u);
  release.set_value();
  auto a = first.get_future().get();
  auto b = bad.get_future().get();
  auto c = last.get_future().get();
  EXPECT_TRUE(a) << a.error().message;
  EXPECT_FALSE(b);
  EXPECT_TRUE(c) << c.error().message;
  (*writer)->stop();
  auto db = Database::open(dir / "juanie.db", true);
  ASSERT_TRUE(db);
  auto rows = db->prepare("SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY v)");
  ASSERT_TRUE(rows);
  ASSERT_TRUE(rows->step().value_or(false));
  EXPECT_EQ(rows->text(0), "a,c,taken");
}

TEST(Writer, AFullQueueAnswersAtOnce) {
  test::TempDir dir;
  auto writer = Writer::open(dir / "juanie.db", 0);
  ASSERT_TRUE(writer);
  std::optional<Result<void>> result;
  (*writer)->submit([](Database&) -> Result<void> { return {}; },
                    [&](Result<void> r) { result = r; });
  ASSERT_TRUE(result);
  EXPECT_FALSE(*result);
}

TEST(Writer, StopRunsWhatIsQueued) {
  test::TempDir dir;
  auto writer = Writer::open(dir / "juanie.db", 1000);
  ASSERT_TRUE(writer);
  std::atomic<int> done{0};
  for (int i = 0; i < 100; ++i) {
    (*writer)->submit([i](Database& db) { return record(db, i); },
                      [&](Result<void> r) { done += r ? 1 : 0; });
  }
  (*writer)->stop();
  EXPECT_EQ(done.load(), 100);
  std::optional<Result<void>> late;
  (*writer)->submit([](Database&) -> Result<void> { return {}; },
                    [&](Result<void> r) { late = r; });
  ASSERT_TRUE(late);
  EXPECT_FALSE(*late);
}

TEST(Writer, AnUnwritableDatabaseIsAnErrorAtOpen) {
  auto writer = Writer::open("/nonexistent-dir/juanie.db", 10);
  ASSERT_FALSE(writer);
  EXPECT_NE(writer.error().message.find("cannot open database"), std::string::npos);
}

}  // namespace
}  // namespace juanie::daemon::store
