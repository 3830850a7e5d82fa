// The Scheduler driven in-process: a real store (a temporary SQLite file), a manual clock and a
// recording launcher in place of the run executor. No process, socket or sleep: each pass is
// called by the test, and what it decided is read back from the store and the launcher.
#include "daemon/runs/scheduler.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <sstream>

#include "daemon/store/run_lifecycle.hpp"
#include "support/manual_clock.hpp"
#include "support/recording_launcher.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

namespace juanie::daemon {
namespace {

using pipelines::RunState;

config::ProjectMap projects_named(std::initializer_list<std::string> names) {
  config::ProjectMap map;
  for (const auto& name : names) {
    auto project = std::make_shared<config::LoadedProject>();
    project->config.name = name;
    map.emplace(name, std::move(project));
  }
  return map;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(test::open_store(home / "juanie.db", writer, reader));
  }

  void TearDown() override {
    launcher.release_all();
    if (scheduler) scheduler->stop();
    if (writer) writer->stop();
  }

  Scheduler& make(int concurrent_runs, int runs_per_project) {
    SchedulerDeps deps{*writer, *reader, projects,        launcher,
                       clock,   log,     concurrent_runs, runs_per_project};
    // No periodic pass within any test's life: what starts runs is start(), wake() and pass().
    deps.poll = std::chrono::hours(1);
    deps.observer.queue_waited = [this](double seconds) {
      std::lock_guard lock(waits_mutex);
      waits.push_back(seconds);
    };
    scheduler.emplace(deps);
    return *scheduler;
  }

  std::int64_t queue(const std::string& project, const std::string& branch) {
    store::RunRequest request;
    request.project = project;
    request.forge = "github";
    request.delivery = "d-" + std::to_string(++deliveries);
    request.event = "push";
    request.ref = "refs/heads/" + branch;
    request.ref_kind = "branch";
    request.branch = branch;
    request.sha = std::string(40, static_cast<char>('a' + deliveries % 6));
    std::int64_t id = 0;
    auto ok = store::write_and_wait(*writer, [&](store::Database& db) -> Result<void> {
      auto outcome = store::record_push(db, request, rfc3339(clock.now()));
      if (!outcome) return std::unexpected(outcome.error());
      id = outcome->run_id;
      return {};
    });
    EXPECT_TRUE(ok) << ok.error().message;
    return id;
  }

  std::string state(std::int64_t run) {
    auto found = reader->with([&](store::Database& db) { return store::find_run(db, run); });
    return found && *found ? std::string(pipelines::to_string((*found)->state)) : "missing";
  }

  // What the executor writes when a run ends; then its worker may return.
  void finish(std::int64_t run) {
    auto ok = store::write_and_wait(*writer, [&](store::Database& db) {
      return store::set_run_state(db, run, RunState::kSucceeded, std::nullopt,
                                  rfc3339(clock.now()));
    });
    ASSERT_TRUE(ok) << ok.error().message;
    ASSERT_TRUE(launcher.release(run));
  }

  test::TempDir home;
  std::unique_ptr<store::Writer> writer;
  std::optional<store::Reader> reader;
  ProjectRegistry projects{projects_named({"shop", "blog"})};
  test::RecordingLauncher launcher;
  test::ManualClock clock;
  std::ostringstream log_text;
  Log log{log_text};
  int deliveries = 0;
  std::mutex waits_mutex;
  std::vector<double> waits;           // what the scheduler told its observer, in order
  std::optional<Scheduler> scheduler;  // last: stopped before what it uses goes
};

// juanie_queue_wait_seconds: each run's wait, from its queueing to its start, told as the
// scheduler starts it — a run held back by runs_per_project waits until its turn.
TEST_F(SchedulerTest, TellsHowLongEachRunWaitedInTheQueue) {
  const auto first = queue("shop", "main");
  clock.advance(std::chrono::seconds(30));
  const auto second = queue("shop", "develop");
  clock.advance(std::chrono::seconds(90));
  auto& s = make(/*concurrent_runs=*/2, /*runs_per_project=*/1);
  s.pass();
  ASSERT_TRUE(launcher.wait_launched(1));
  clock.advance(std::chrono::seconds(600));
  finish(first);
  s.pass();
  ASSERT_TRUE(launcher.wait_launched(2));
  EXPECT_EQ(launcher.launched_ids(), (std::vector<std::int64_t>{first, second}));
  std::lock_guard lock(waits_mutex);
  EXPECT_EQ(waits, (std::vector<double>{120, 690}));
}

// limits.runs_per_project once had no effect: the driver passed concurrent_runs for both.
TEST_F(SchedulerTest, RunsPerProjectHoldsBackASecondRunOfTheSameProject) {
  const auto shop_main = queue("shop", "main");
  const auto shop_dev = queue("shop", "develop");
  const auto blog_main = queue("blog", "main");
  auto& s = make(/*concurrent_runs=*/3, /*runs_per_project=*/1);

  s.pass();
  ASSERT_TRUE(launcher.wait_launched(2));
  EXPECT_EQ(state(shop_main), "running");
  EXPECT_EQ(state(shop_dev), "queued") << "a second shop run started beside the first";
  EXPECT_EQ(state(blog_main), "running");
  EXPECT_EQ(launcher.launched_ids(), (std::vector<std::int64_t>{shop_main, blog_main}));

  // Another pass changes nothing while shop's run still runs.
  s.pass();
  EXPECT_EQ(state(shop_dev), "queued");

  finish(shop_main);
  s.pass();
  ASSERT_TRUE(launcher.wait_launched(3));
  EXPECT_EQ(state(shop_dev), "running");
  EXPECT_EQ(launcher.launched_ids(), (std::vector<std::int64_t>{shop_main, shop_dev, blog_main}));
}

TEST_F(SchedulerTest, ConcurrentRunsCapsEveryProjectTogether) {
  const auto a = queue("shop", "main");
  const auto b = queue("blog", "main");
  const auto c = queue("blog", "develop");
  auto& s = make(/*concurrent_runs=*/2, /*runs_per_project=*/2);

  s.pass();
  ASSERT_TRUE(launcher.wait_launched(2));
  EXPECT_EQ(state(a), "running");
  EXPECT_EQ(state(b), "running");
  EXPECT_EQ(state(c), "queued");

  finish(a);
  s.pass();
  ASSERT_TRUE(launcher.wait_launched(3));
  EXPECT_EQ(state(c), "running");
}

TEST_F(SchedulerTest, AnOlderQueuedRunOfTheSameBranchIsSupersededNotStarted) {
  const auto older = queue("shop", "develop");
  const auto newer = queue("shop", "develop");
  auto& s = make(2, 2);

  s.pass();
  ASSERT_TRUE(launcher.wait_launched(1));
  EXPECT_EQ(state(older), "cancelled");
  EXPECT_EQ(state(newer), "running");
  EXPECT_EQ(launcher.launched_ids(), std::vector<std::int64_t>{newer});
}

TEST_F(SchedulerTest, ARunOfAProjectNoLongerConfiguredFailsWithoutLaunching) {
  const auto gone = queue("wiki", "main");
  const auto kept = queue("shop", "main");
  auto& s = make(2, 2);

  s.pass();
  ASSERT_TRUE(launcher.wait_launched(1));
  launcher.release_all();
  s.stop();
  EXPECT_EQ(state(gone), "failed");
  EXPECT_EQ(launcher.launched_ids(), std::vector<std::int64_t>{kept});
}

// Cancel and shutdown reach the run through its stop tokens (no polling thread in between).
TEST_F(SchedulerTest, CancelStopsOnlyThatRun) {
  const auto a = queue("shop", "main");
  const auto b = queue("blog", "main");
  auto& s = make(2, 2);
  s.pass();
  ASSERT_TRUE(launcher.wait_launched(2));

  EXPECT_TRUE(s.cancel(a));
  ASSERT_TRUE(launcher.wait_ended(a));
  EXPECT_EQ(launcher.ended(), (std::map<std::int64_t, std::string>{{a, "cancelled"}}));
  EXPECT_FALSE(s.cancel(999)) << "a run that is not running here";

  launcher.release_all();
  ASSERT_TRUE(launcher.wait_ended(b));
  EXPECT_EQ(launcher.ended().at(b), "released");
}

TEST_F(SchedulerTest, StopAsksEveryRunningRunToStopAndStartsNoMore) {
  const auto a = queue("shop", "main");
  const auto b = queue("blog", "main");
  const auto c = queue("blog", "develop");
  auto& s = make(2, 2);
  s.pass();
  ASSERT_TRUE(launcher.wait_launched(2));

  s.stop();  // returns only once both runs returned: nothing is released by the test
  EXPECT_EQ(launcher.ended(),
            (std::map<std::int64_t, std::string>{{a, "shut down"}, {b, "shut down"}}));
  s.pass();
  EXPECT_EQ(state(c), "queued");
  EXPECT_EQ(launcher.launched().size(), 2u);
}

TEST_F(SchedulerTest, AStartedSchedulerStartsTheNextRunWhenOneEnds) {
  const auto first = queue("shop", "main");
  const auto second = queue("shop", "develop");
  auto& s = make(2, 1);
  s.start();
  ASSERT_TRUE(launcher.wait_launched(1));
  EXPECT_EQ(launcher.launched_ids(), std::vector<std::int64_t>{first});
  // Its own thread now, with no periodic pass for an hour: the ended run's worker wakes it.
  finish(first);
  ASSERT_TRUE(launcher.wait_launched(2));
  EXPECT_EQ(launcher.launched_ids(), (std::vector<std::int64_t>{first, second}));
}

// Intake wakes the scheduler after it stored a run (Routes' on_queued): the run starts at once,
// not at the next periodic pass (an hour away here).
TEST_F(SchedulerTest, AWakeStartsANewlyQueuedRunAtOnce) {
  const auto first = queue("shop", "main");
  auto& s = make(2, 2);
  s.start();
  // The pass at start has read the queue once this run is launched.
  ASSERT_TRUE(launcher.wait_launched(1));
  const auto second = queue("blog", "main");
  s.wake();
  ASSERT_TRUE(launcher.wait_launched(2)) << "the queued run did not start on wake";
  EXPECT_EQ(launcher.launched_ids(), (std::vector<std::int64_t>{first, second}));
}

}  // namespace
}  // namespace juanie::daemon
