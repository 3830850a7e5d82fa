#include "daemon/runs/retention_sweep.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "daemon/store/deployments.hpp"
#include "daemon/store/flux_events.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

namespace juanie::daemon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using days = std::chrono::days;

class FixedClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return now_; }

 private:
  std::chrono::system_clock::time_point now_ =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'900'000'000));
};

// A real store and a real logs directory; runs are made the way intake and the executor make
// them, then aged by their finish time.
class RetentionSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(test::open_store(dir / "juanie.db", writer, reader, 1000));
    fs::create_directories(logs);
  }

  template <typename F>
  auto write(F f) {
    using T = std::invoke_result_t<F, store::Database&>;
    T out{};
    auto ok = store::write_and_wait(*writer, [&](store::Database& db) -> Result<void> {
      auto r = f(db);
      if (!r) return std::unexpected(r.error());
      out = std::move(r);
      return {};
    });
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
    return out;
  }

  // A run that finished `age` ago with one step and its log file; `state` empty: still running.
  std::int64_t run(const std::string& delivery, days age, const std::string& state = "succeeded") {
    store::RunRequest req;
    req.project = "shop-api";
    req.forge = "github";
    req.delivery = delivery;
    req.event = "push";
    req.ref = "refs/heads/develop";
    req.ref_kind = "branch";
    req.branch = "develop";
    req.sha = std::string(40, 'a' + static_cast<char>(next_++ % 6));
    req.environment = "dev";
    const std::string at = rfc3339(clock.now() - age);
    auto id = write([&](store::Database& db) -> Result<std::int64_t> {
      auto r = store::record_push(db, req, at);
      if (!r) return std::unexpected(r.error());
      return r->run_id;
    });
    EXPECT_TRUE(id);
    const fs::path log = logs / std::to_string(*id) / "1-build.log";
    fs::create_directories(log.parent_path());
    std::ofstream(log) << "built\n";
    using pipelines::RunState;
    auto finished = write([&](store::Database& db) -> Result<bool> {
      if (auto ok = store::set_run_state(db, *id, RunState::kRunning, std::nullopt, at); !ok) {
        return std::unexpected(ok.error());
      }
      if (auto ok = store::save_step(db, *id,
                                     {1, "build", pipelines::StepState::kSucceeded, 0, std::nullopt,
                                      at, at, log.string()});
          !ok) {
        return std::unexpected(ok.error());
      }
      if (state.empty()) return true;
      auto to = state == "failed" ? RunState::kFailed : RunState::kSucceeded;
      if (auto ok = store::set_run_state(db, *id, to, std::nullopt, at); !ok) {
        return std::unexpected(ok.error());
      }
      return true;
    });
    EXPECT_TRUE(finished);
    return *id;
  }

  std::optional<store::RunRecord> find(std::int64_t id) {
    auto r = reader->with([&](store::Database& db) { return store::find_run(db, id); });
    EXPECT_TRUE(r);
    return *r;
  }

  Swept sweep(config::Retention retention) {
    std::ostringstream out;
    Log log(out);
    RetentionSweep sweeper(RetentionDeps{*writer, *reader, logs, retention, clock, log});
    auto swept = sweeper.pass();
    EXPECT_TRUE(swept) << (swept ? "" : swept.error().message);
    return swept ? *swept : Swept{};
  }

  test::TempDir dir;
  fs::path logs = dir / "logs";
  FixedClock clock;
  std::unique_ptr<store::Writer> writer;
  std::optional<store::Reader> reader;
  int next_ = 0;
};

TEST_F(RetentionSweepTest, OldRunsGoWithTheirStepsDeliveriesAndLogs) {
  const auto old_run = run("d-old", days(400), "failed");
  const auto recent = run("d-recent", days(10));
  const auto sweeping = sweep({days(30), days(365)});
  EXPECT_EQ(sweeping.runs, 1);
  EXPECT_FALSE(find(old_run));
  EXPECT_FALSE(fs::exists(logs / std::to_string(old_run)));
  auto steps = reader->with([&](store::Database& db) { return store::list_steps(db, old_run); });
  ASSERT_TRUE(steps);
  EXPECT_TRUE(steps->empty());
  auto deliveries = reader->with([](store::Database& db) { return store::count_deliveries(db); });
  EXPECT_EQ(*deliveries, 1);  // the recent run's
  // Younger than both settings: untouched.
  ASSERT_TRUE(find(recent));
  EXPECT_FALSE(find(recent)->logs_removed_at);
  EXPECT_TRUE(fs::exists(logs / std::to_string(recent) / "1-build.log"));
}

// Flux repeats itself on every reconciliation: weighed events go with the runs' retention;
// one not weighed yet stays whatever its age, and so does the newest (its id is never reused).
TEST_F(RetentionSweepTest, WeighedFluxEventsGoWithRunsRetention) {
  auto event = [&](const std::string& reason, days age, bool weighed) {
    flux::FluxEvent e;
    e.kind = "Kustomization";
    e.name = "shop-api-dev";
    e.namespace_ = "flux-system";
    e.severity = "info";
    e.reason = reason;
    e.revision = "main@sha1:" + std::string(40, 'c');
    e.commit = std::string(40, 'c');
    const std::string at = rfc3339(clock.now() - age);
    return write([&](store::Database& db) -> Result<std::int64_t> {
      auto stored = store::record_flux_event(db, "shop-api", e, at);
      if (!stored) return std::unexpected(stored.error());
      if (weighed) {
        if (auto ok = store::set_flux_event_outcome(db, stored->id, "stale", at); !ok) {
          return std::unexpected(ok.error());
        }
      }
      return stored->id;
    });
  };
  const auto old_weighed = event("ReconciliationSucceeded", days(400), true);
  const auto old_waiting = event("Progressing", days(400), false);
  const auto recent = event("HealthCheckFailed", days(10), true);
  const auto newest_old = event("ArtifactFailed", days(400), true);
  sweep({days(30), days(365)});
  auto left = reader->with([](store::Database& db) -> Result<std::vector<std::int64_t>> {
    auto stmt = db.prepare("SELECT id FROM flux_events ORDER BY id");
    if (!stmt) return std::unexpected(stmt.error());
    std::vector<std::int64_t> ids;
    while (true) {
      auto row = stmt->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) return ids;
      ids.push_back(stmt->int64(0));
    }
  });
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, (std::vector<std::int64_t>{*old_waiting, *recent, *newest_old}))
      << "old weighed event " << *old_weighed << " should be gone";
}

TEST_F(RetentionSweepTest, LogsGoFirstAndTheRunSaysWhen) {
  const auto run_id = run("d1", days(45));
  const auto swept = sweep({days(30), days(365)});
  EXPECT_EQ(swept.logs, 1);
  EXPECT_EQ(swept.runs, 0);
  auto record = find(run_id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->logs_removed_at, rfc3339(clock.now()));
  EXPECT_FALSE(fs::exists(logs / std::to_string(run_id)));
  EXPECT_EQ(sweep({days(30), days(365)}).logs, 0);  // once
}

TEST_F(RetentionSweepTest, ARunADeploymentNamesIsKeptWhateverItsAge) {
  const auto deployed = run("d1", days(800));
  store::DeploymentRecord d;
  d.run = deployed;
  d.project = "shop-api";
  d.environment = "dev";
  d.image = "registry.example/shop-api";
  d.tag = "0123456789ab";
  ASSERT_TRUE(write([&](store::Database& db) { return store::create_deployment(db, d, "t"); }));
  const auto swept = sweep({days(30), days(365)});
  EXPECT_EQ(swept.runs, 0);
  ASSERT_TRUE(find(deployed));
  EXPECT_TRUE(find(deployed)->logs_removed_at);  // its logs still follow retention.logs
}

TEST_F(RetentionSweepTest, UnfinishedRunsAreKept) {
  const auto running = run("d1", days(800), "");
  EXPECT_EQ(sweep({days(30), days(365)}).runs, 0);
  ASSERT_TRUE(find(running));
  EXPECT_FALSE(find(running)->logs_removed_at);
  EXPECT_TRUE(fs::exists(logs / std::to_string(running) / "1-build.log"));
}

TEST_F(RetentionSweepTest, ARetryOfADeletedRunForgetsWhomItRetried) {
  const auto old_run = run("d1", days(400), "failed");
  auto retry = write([&](store::Database& db) {
    return store::insert_retry(db, old_run, std::nullopt, rfc3339(clock.now()));
  });
  ASSERT_TRUE(retry);
  EXPECT_EQ(sweep({days(30), days(365)}).runs, 1);
  ASSERT_TRUE(find(*retry));
  EXPECT_FALSE(find(*retry)->retry_of);
}

TEST_F(RetentionSweepTest, ForeverKeepsEverything) {
  const auto old_run = run("d1", days(4000));
  const auto swept = sweep({0ms, 0ms});
  EXPECT_EQ(swept.runs + swept.logs, 0);
  ASSERT_TRUE(find(old_run));
  EXPECT_TRUE(fs::exists(logs / std::to_string(old_run) / "1-build.log"));
}

TEST_F(RetentionSweepTest, LogsMarkedRemovedButLeftByACrashGoAtTheNextPass) {
  const auto run_id = run("d1", days(45));
  EXPECT_EQ(sweep({days(30), days(365)}).logs, 1);
  fs::create_directories(logs / std::to_string(run_id));  // as if the crash came before removal
  std::ofstream(logs / std::to_string(run_id) / "1-build.log") << "built\n";
  EXPECT_EQ(sweep({days(30), days(365)}).strays, 1);
  EXPECT_FALSE(fs::exists(logs / std::to_string(run_id)));
}

TEST_F(RetentionSweepTest, LogDirectoriesOfRunsNoLongerRecordedGo) {
  const auto kept = run("d1", days(1));
  fs::create_directories(logs / "9999");
  fs::create_directories(logs / "not-a-run");
  EXPECT_EQ(sweep({days(30), days(365)}).strays, 1);
  EXPECT_FALSE(fs::exists(logs / "9999"));
  EXPECT_TRUE(fs::exists(logs / "not-a-run"));
  EXPECT_TRUE(fs::exists(logs / std::to_string(kept)));
}

TEST_F(RetentionSweepTest, ManyOldRunsGoInBatches) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 250; ++i) ids.push_back(run("d" + std::to_string(i), days(400)));
  EXPECT_EQ(sweep({days(30), days(365)}).runs, 249);  // all but the newest
  ids.pop_back();
  for (auto id : ids) EXPECT_FALSE(fs::exists(logs / std::to_string(id)));
}

// runs.id is INTEGER PRIMARY KEY without AUTOINCREMENT: were the newest run deleted, SQLite
// would give its id to the next run, and links, notifications and audit text naming the old run
// would name another (possibly another project's).
TEST_F(RetentionSweepTest, ADeletedRunsIdIsNeverGivenToANewRun) {
  const auto older = run("d1", days(500));
  const auto newest = run("d2", days(400));
  EXPECT_EQ(sweep({days(30), days(365)}).runs, 1);
  EXPECT_FALSE(find(older));
  ASSERT_TRUE(find(newest)) << "the newest run is kept whatever its age";
  const auto fresh = run("d3", days(0), "");
  EXPECT_GT(fresh, newest);
}

}  // namespace
}  // namespace juanie::daemon
