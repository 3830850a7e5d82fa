// Step logs in a shared store (PostgreSQL): chunks at their offsets read back as the bytes the
// step wrote, only the node holding the run stores any, and every node's listener is woken.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "daemon/api/log_tail.hpp"
#include "daemon/runs/log_shipper.hpp"
#include "daemon/store/pg_claims.hpp"
#include "daemon/store/pg_fixture.hpp"
#include "daemon/store/pg_log_listener.hpp"
#include "daemon/store/pg_schema.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/retention.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/step_logs.hpp"
#include "support/temp_dir.hpp"

namespace juanie::daemon::store::pg {
namespace {

constexpr const char* kNow = "2026-12-01T00:00:00Z";

class PgStepLogs : public test::PgStoreTest {
 protected:
  void SetUp() override {
    PgStoreTest::SetUp();
    auto ok = conn_->exec(
        "INSERT INTO runs (project, ref, ref_kind, branch, sha, deploy_trigger, trigger, state, "
        "created_at) VALUES ('shop', 'refs/heads/main', 'branch', 'main', 'sha', 'push', 'push', "
        "'queued', $1)",
        {kNow});
    ASSERT_TRUE(ok) << ok.error().message;
    auto claimed = claim_run(*conn_, {.node = "a", .now = kNow});
    ASSERT_TRUE(claimed && *claimed);
    run_ = (*claimed)->run;
    auto db = Database::open_postgresql(connect(), false, "a");
    ASSERT_TRUE(db) << db.error().message;
    a_ = std::make_unique<Database>(std::move(*db));
  }

  std::string read(Database& db, std::uint64_t offset, std::size_t max) {
    auto text = read_step_log(db, run_, step_, offset, max);
    EXPECT_TRUE(text) << text.error().message;
    return text ? *text : "";
  }

  std::unique_ptr<Database> a_;
  std::int64_t run_ = 0;
  StepRecord step_{.index = 1, .name = "build", .log = "/elsewhere/1-build.log"};
};

TEST_F(PgStepLogs, ChunksReadBackAsTheBytesWrittenFromAnyOffset) {
  // Bytes PostgreSQL's text would refuse: NUL, invalid UTF-8, an escape.
  const std::string one("first\n\x00\xff\xfe", 9), two = "\x1b[31mred\x1b[0m\n", three = "end";
  ASSERT_TRUE(append_step_log(*a_, run_, 1, 0, one).value_or(false));
  ASSERT_TRUE(append_step_log(*a_, run_, 1, one.size(), two).value_or(false));
  ASSERT_TRUE(append_step_log(*a_, run_, 1, one.size() + two.size(), three).value_or(false));
  const std::string all = one + two + three;
  // Read from another node's session, as any node serves it; the file named is not read.
  auto b = Database::open_postgresql(connect(), true, "b");
  ASSERT_TRUE(b);
  EXPECT_EQ(step_log_size(*b, run_, step_).value_or(0), all.size());
  EXPECT_EQ(read(*b, 0, 1 << 20), all);
  for (std::uint64_t at : {0, 3, 8, 9, 12, 21, 24}) {
    for (std::size_t max : {1, 4, 7, 100}) {
      EXPECT_EQ(read(*b, at, max), all.substr(at, max)) << "at " << at << " max " << max;
    }
  }
  EXPECT_EQ(read(*b, all.size(), 10), "");
  EXPECT_EQ(read(*b, all.size() + 5, 10), "");
  // Another step of the same run is another log.
  EXPECT_EQ(step_log_size(*b, run_, StepRecord{.index = 2}).value_or(99), 0u);
}

TEST_F(PgStepLogs, AChunkAtAnOffsetAlreadyStoredIsRefusedAndChangesNothing) {
  ASSERT_TRUE(append_step_log(*a_, run_, 1, 0, "abc").value_or(false));
  ASSERT_TRUE(append_step_log(*a_, run_, 1, 3, "def").value_or(false));
  // A second writer of the log (two executions of one run on its node) is not taken.
  auto again = append_step_log(*a_, run_, 1, 0, "abcdefgh");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(read(*a_, 0, 100), "abcdef");
  EXPECT_EQ(step_log_size(*a_, run_, step_).value_or(0), 6u);
}

TEST_F(PgStepLogs, OnlyTheNodeHoldingTheRunStoresItsLog) {
  auto b = Database::open_postgresql(connect(), false, "b");
  ASSERT_TRUE(b);
  auto refused = append_step_log(*b, run_, 1, 0, "not mine");
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_FALSE(*refused);
  // Nor the holder once the run has ended (a late chunk of an ended run).
  ASSERT_TRUE(set_run_state(*a_, run_, pipelines::RunState::kSucceeded, std::nullopt, kNow));
  auto late = append_step_log(*a_, run_, 1, 0, "late");
  ASSERT_TRUE(late);
  EXPECT_FALSE(*late);
  EXPECT_EQ(scalar("SELECT count(*) FROM step_log_chunks WHERE run_id = $1", {run_}), 0);
  // A chunk over the bound is refused as invalid, before the store is asked.
  auto big = append_step_log(*a_, run_, 1, 0, std::string(kLogChunkMax + 1, 'x'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, ErrorKind::kInvalid);
}

TEST_F(PgStepLogs, ARequeuedRunStartsItsLogsAfreshAndRetentionRemovesThem) {
  ASSERT_TRUE(append_step_log(*a_, run_, 1, 0, "attempt one").value_or(false));
  ASSERT_TRUE(requeue_run(*a_, run_, "the daemon stopped; queued again", kNow));
  EXPECT_EQ(scalar("SELECT count(*) FROM step_log_chunks WHERE run_id = $1", {run_}), 0);
  auto again = claim_run(*conn_, {.node = "a", .now = kNow});
  ASSERT_TRUE(again && *again);
  ASSERT_TRUE(append_step_log(*a_, run_, 1, 0, "attempt two").value_or(false));
  ASSERT_TRUE(set_run_state(*a_, run_, pipelines::RunState::kSucceeded, std::nullopt, kNow));
  EXPECT_EQ(read(*a_, 0, 100), "attempt two");
  ASSERT_TRUE(mark_logs_removed(*a_, {run_}, kNow));
  EXPECT_EQ(scalar("SELECT count(*) FROM step_log_chunks WHERE run_id = $1", {run_}), 0);
  EXPECT_EQ(read(*a_, 0, 100), "");
}

// The shipper's job (runs/log_shipper.hpp): from where the store's copy ends, so a job run
// twice, or after one that failed, leaves the store exactly the file's bytes.
TEST_F(PgStepLogs, ALogTailGoesOnFromTheStoresEndAndRunsAgainToTheSameEffect) {
  test::TempDir dir;
  std::string bytes;
  for (int i = 0; bytes.size() < 3 * kLogChunkMax; ++i) bytes += "line " + std::to_string(i) + "\n";
  const auto file = dir.write("1-build.log", bytes.substr(0, 100));
  ASSERT_TRUE(store_log_tail(*a_, run_, 1, file, 0));
  ASSERT_TRUE(store_log_tail(*a_, run_, 1, file, 0));
  EXPECT_EQ(read(*a_, 0, 1 << 20), bytes.substr(0, 100));
  dir.write("1-build.log", bytes);
  ASSERT_TRUE(store_log_tail(*a_, run_, 1, file, 1));  // one chunk per look at most
  EXPECT_EQ(step_log_size(*a_, run_, step_).value_or(0), 100 + kLogChunkMax);
  ASSERT_TRUE(store_log_tail(*a_, run_, 1, file, 0));
  EXPECT_EQ(read(*a_, 0, 4 * kLogChunkMax), bytes);
  EXPECT_EQ(scalar("SELECT count(*) FROM step_log_chunks WHERE run_id = $1 AND "
                   "length(bytes) > 65536",
                   {run_}),
            0);
  // Another node's job for the run is refused as a conflict and stores nothing.
  auto b = Database::open_postgresql(connect(), false, "b");
  ASSERT_TRUE(b);
  dir.write("2-test.log", "mine?");
  auto refused = store_log_tail(*b, run_, 2, dir.path() / "2-test.log", 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(step_log_size(*a_, run_, StepRecord{.index = 2}).value_or(9), 0u);
}

// What a follower on another node reads (api::LogTail over the shared store).
class PgLogFollower : public PgStepLogs {
 protected:
  void SetUp() override {
    PgStepLogs::SetUp();
    dir_.write("pg.url", uri_ + "\n");
    auto reader = Reader::open_postgresql(dir_.path() / "pg.url");
    ASSERT_TRUE(reader) << reader.error().message;
    reader_ = std::make_unique<Reader>(std::move(*reader));
  }
  void save(int index, pipelines::StepState state, const std::string& started_at) {
    StepRecord s{.index = index,
                 .name = "build",
                 .state = state,
                 .started_at = started_at,
                 .log = "/on/node/a/" + std::to_string(index) + ".log"};
    ASSERT_TRUE(save_step(*a_, run_, s));
  }
  // Polls until the tail ends (or 200 polls): what it told, as text.
  std::string follow(api::LogTail& tail) {
    std::string out;
    for (int i = 0; i < 200 && !tail.ended(); ++i) {
      for (const auto& e : tail.poll()) {
        if (e.kind == api::LogEvent::Kind::kOutput) out += e.bytes;
        if (e.kind == api::LogEvent::Kind::kRunEnded) {
          out += "[end " + e.state + ": " + e.reason.value_or("") + "]";
        }
      }
    }
    return out;
  }
  test::TempDir dir_;
  std::unique_ptr<Reader> reader_;
};

TEST_F(PgLogFollower, ReadsEveryByteOfEveryStepBeforeTheRunsEnd) {
  save(0, pipelines::StepState::kRunning, "2026-12-01T00:00:01Z");
  std::string all;
  for (int i = 0; all.size() < 3 * kLogChunkMax + 100; ++i)
    all += "line " + std::to_string(i) + "\n";
  for (std::uint64_t at = 0; at < all.size(); at += kLogChunkMax) {
    ASSERT_TRUE(append_step_log(*a_, run_, 0, at, std::string_view(all).substr(at, kLogChunkMax))
                    .value_or(false));
  }
  save(0, pipelines::StepState::kSucceeded, "2026-12-01T00:00:01Z");
  ASSERT_TRUE(set_run_state(*a_, run_, pipelines::RunState::kSucceeded, std::nullopt, kNow));
  api::LogTail tail(*reader_, run_);
  EXPECT_EQ(follow(tail), all + "[end succeeded: ]");
}

TEST_F(PgLogFollower, ARunQueuedAgainEndsTheViewOfItsEarlierAttemptSayingSo) {
  save(0, pipelines::StepState::kRunning, "2026-12-01T00:00:01Z");
  ASSERT_TRUE(append_step_log(*a_, run_, 0, 0, "attempt one\n").value_or(false));
  api::LogTail tail(*reader_, run_);
  std::string told;
  for (const auto& e : tail.poll()) told += e.bytes;
  EXPECT_EQ(told, "attempt one\n");
  // The lease passed; another attempt starts (here on a again) and writes from its start.
  ASSERT_TRUE(requeue_run(*a_, run_, "the lease of node a passed; queued again", kNow));
  ASSERT_TRUE(claim_run(*conn_, {.node = "a", .now = kNow}).value_or(std::nullopt));
  save(0, pipelines::StepState::kRunning, "2026-12-01T00:05:00Z");
  ASSERT_TRUE(append_step_log(*a_, run_, 0, 0, "attempt two, longer\n").value_or(false));
  const std::string rest = follow(tail);
  EXPECT_EQ(rest.find("longer"), std::string::npos)
      << "no bytes of one attempt read at another's offset";
  EXPECT_NE(rest.find("[end running: started again"), std::string::npos) << rest;
  // A new view follows the new attempt from its start.
  api::LogTail fresh(*reader_, run_);
  std::string now_told;
  for (const auto& e : fresh.poll()) now_told += e.bytes;
  EXPECT_EQ(now_told, "attempt two, longer\n");
}

TEST_F(PgStepLogs, EveryListenerHearsOfAChunkOnceItIsCommitted) {
  test::TempDir dir;
  dir.write("pg.url", uri_ + "\n");
  auto listener = RunLogListener::open(dir.path() / "pg.url");
  ASSERT_TRUE(listener) << listener.error().message;
  RunLogBell bell;
  const auto before = bell.generation(run_);
  ASSERT_TRUE(a_->begin());
  ASSERT_TRUE(append_step_log(*a_, run_, 1, 0, "x").value_or(false));
  ASSERT_TRUE((*listener)->listen_once(bell, std::chrono::milliseconds(200)));
  EXPECT_EQ(bell.generation(run_), before) << "not before the commit";
  ASSERT_TRUE(a_->commit());
  for (int i = 0; i < 50 && bell.generation(run_) == before; ++i) {
    ASSERT_TRUE((*listener)->listen_once(bell, std::chrono::milliseconds(100)));
  }
  EXPECT_NE(bell.generation(run_), before);
  // A step's end and the run's end wake followers too.
  const auto after_chunk = bell.generation(run_);
  ASSERT_TRUE(set_run_state(*a_, run_, pipelines::RunState::kSucceeded, std::nullopt, kNow));
  for (int i = 0; i < 50 && bell.generation(run_) == after_chunk; ++i) {
    ASSERT_TRUE((*listener)->listen_once(bell, std::chrono::milliseconds(100)));
  }
  EXPECT_NE(bell.generation(run_), after_chunk);
}

}  // namespace
}  // namespace juanie::daemon::store::pg
