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
