#include <gtest/gtest.h>
#include <sqlite3.h>

#include "daemon/store/deployments.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/schema.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

namespace juanie::daemon::store {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(test::open_database(dir / "juanie.db", db)); }

  RunRequest request(const std::string& delivery, const std::string& sha,
                     const std::string& ref = "refs/heads/develop") {
    RunRequest r;
    r.project = "shop-api";
    r.forge = "github";
    r.delivery = delivery;
    r.event = "push";
    r.ref = ref;
    r.ref_kind = "branch";
    r.branch = ref.substr(11);
    r.sha = sha;
    r.environment = "dev";
    return r;
  }

  test::TempDir dir;
  std::optional<Database> db;
};

const std::string kA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

TEST_F(StoreTest, MigrationsSetTheVersionAndAreIdempotent) {
  auto version = db->prepare("PRAGMA user_version");
  ASSERT_TRUE(version->step().value());
  EXPECT_EQ(version->int64(0), schema_version());
  EXPECT_TRUE(migrate(*db));  // already current: nothing to do
  auto mode = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode->step().value());
  EXPECT_EQ(mode->text(0), "wal");
}

// Migration 12 copies the deployments table (SQLite cannot change its CHECK in place): a
// database of version 11 with a deployment, its approval and its audit keeps them all, the
// references hold, and the new state is admitted where a bogus one is not.
TEST(StoreUpgradeTest, Version11DeploymentsSurviveTheCopyAndAdmitDeploying) {
  test::TempDir dir;
  auto db = Database::open(dir / "juanie.db", false);
  ASSERT_TRUE(db);
  ASSERT_TRUE(configure_writer(*db));
  ASSERT_TRUE(migrate(*db, 11));
  ASSERT_TRUE(db->exec(
      "INSERT INTO runs (id, project, ref, ref_kind, branch, sha, environment, deploy_trigger, "
      "trigger, state, created_at) VALUES (7, 'shop-api', 'refs/heads/main', 'branch', 'main', "
      "'abc', 'prod', 'manual', 'push', 'succeeded', '2026-11-01T00:00:00Z');"
      "INSERT INTO deployments (id, run_id, project, environment, state, image, tag, digest, "
      "gitops_commit, created_at, finished_at, triggered_by, triggered_person) VALUES (3, 7, "
      "'shop-api', 'prod', 'success', 'r/app', 'abc', 'sha256:1', 'c0ffee', "
      "'2026-11-01T00:00:00Z', '2026-11-01T00:05:00Z', 'ops', 'alice');"
      "INSERT INTO approvals (deployment_id, approver, decision, decided_at, token_nonce) VALUES "
      "(3, 'bob', 'approve', '2026-11-01T00:01:00Z', 'n1');"))
      << "a version 11 database";
  ASSERT_TRUE(migrate(*db));
  auto d = find_deployment(*db, 3);
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->state, pipelines::DeploymentState::kSuccess);
  EXPECT_EQ((*d)->gitops_commit, "c0ffee");
  EXPECT_EQ((*d)->triggered_person, "alice");
  // Committed before the upgrade: its rollout's clock is when it finished.
  EXPECT_EQ((*d)->committed_at, "2026-11-01T00:05:00Z");
  EXPECT_EQ((*d)->rollback_of, std::nullopt);
  auto check = db->prepare("PRAGMA foreign_key_check");
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->step().value());
  auto keys = db->prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(keys->step().value());
  EXPECT_EQ(keys->int64(0), 1) << "foreign keys are on again after the migrations";
  // The approval still refers to its deployment: deleting the deployment is refused.
  EXPECT_FALSE(db->exec("DELETE FROM deployments WHERE id = 3"));
  EXPECT_TRUE(db->exec("UPDATE deployments SET state = 'deploying' WHERE id = 3"));
  EXPECT_FALSE(db->exec("UPDATE deployments SET state = 'bogus' WHERE id = 3"));
  // One deployment per run and environment still, rollbacks aside.
  EXPECT_FALSE(db->exec(
      "INSERT INTO deployments (run_id, project, environment, state, image, tag, created_at) "
      "VALUES (7, 'shop-api', 'prod', 'pending', 'r/app', 'abc', 'now')"));
  EXPECT_TRUE(db->exec(
      "INSERT INTO deployments (run_id, project, environment, state, image, tag, created_at, "
      "rollback_of) VALUES (7, 'shop-api', 'prod', 'pending', 'r/app', 'abc', 'now', 3)"));
}

TEST_F(StoreTest, ANewerDatabaseIsRefused) {
  ASSERT_TRUE(db->exec("PRAGMA user_version = 999"));
  auto r = migrate(*db);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("newer than this juanie"), std::string::npos);
}

TEST_F(StoreTest, AFreshPushCreatesAQueuedRun) {
  auto r = record_push(*db, request("d1", kA), "2026-11-27T10:00:00Z");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->created);
  auto run = find_run(*db, r->run_id);
  ASSERT_TRUE(run && *run);
  EXPECT_EQ((*run)->state, pipelines::RunState::kQueued);
  EXPECT_EQ((*run)->sha, kA);
  EXPECT_EQ((*run)->environment, "dev");
  EXPECT_EQ((*run)->delivery, "d1");
  EXPECT_EQ((*run)->created_at, "2026-11-27T10:00:00Z");
  EXPECT_EQ((*run)->started_at, std::nullopt);
}

TEST_F(StoreTest, ARedeliveryReturnsTheOriginalRun) {
  auto first = record_push(*db, request("d1", kA), "t");
  auto again = record_push(*db, request("d1", kA), "t");
  ASSERT_TRUE(first && again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->run_id, first->run_id);
  EXPECT_EQ(count_deliveries(*db).value(), 1);
}

TEST_F(StoreTest, ANewDeliveryForTheSameCommitWhileQueuedReturnsThatRun) {
  auto first = record_push(*db, request("d1", kA), "t");
  auto replay = record_push(*db, request("d2", kA), "t");  // Gitea's replay: a new id
  ASSERT_TRUE(first && replay);
  EXPECT_FALSE(replay->created);
  EXPECT_EQ(replay->run_id, first->run_id);
  // ... and the new id itself is remembered.
  auto replay_again = record_push(*db, request("d2", kA), "t");
  EXPECT_EQ(replay_again->run_id, first->run_id);
  EXPECT_EQ(count_deliveries(*db).value(), 2);
}

TEST_F(StoreTest, ASameCommitAfterTheRunFinishedQueuesANewRun) {
  auto first = record_push(*db, request("d1", kA), "t");
  ASSERT_TRUE(db->exec("UPDATE runs SET state = 'succeeded'"));
  auto later = record_push(*db, request("d2", kA), "t");
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->created);
  EXPECT_NE(later->run_id, first->run_id);
}

TEST_F(StoreTest, OtherCommitsAndRefsAreSeparateRuns) {
  auto a = record_push(*db, request("d1", kA), "t");
  auto b = record_push(*db, request("d2", kB), "t");
  auto c = record_push(*db, request("d3", kA, "refs/heads/feature/x"), "t");
  EXPECT_TRUE(a->created && b->created && c->created);
  auto runs = list_runs(*db, std::string("shop-api"), 10);
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].id, c->run_id);  // newest first
  EXPECT_EQ(list_runs(*db, std::string("other"), 10)->size(), 0u);
  EXPECT_EQ(count_runs_by_state(*db)->at("queued"), 3);
}

TEST_F(StoreTest, TheSchemaRefusesIllegalStates) {
  ASSERT_TRUE(record_push(*db, request("d1", kA), "t"));
  EXPECT_FALSE(db->exec("UPDATE runs SET state = 'exploded'"));
}

TEST_F(StoreTest, RunStatesFollowTheStateMachine) {
  auto r = record_push(*db, request("d1", kA), "t0");
  ASSERT_TRUE(r);
  using pipelines::RunState;
  ASSERT_TRUE(set_run_state(*db, r->run_id, RunState::kRunning, std::nullopt, "t1"));
  auto illegal = set_run_state(*db, r->run_id, RunState::kRunning, std::nullopt, "t2");
  ASSERT_FALSE(illegal);
  EXPECT_NE(illegal.error().message.find("illegal transition running → running"),
            std::string::npos);
  // Callers (the API's status codes) decide on the kind, never on the wording.
  EXPECT_EQ(illegal.error().kind, ErrorKind::kConflict);
  auto busy = insert_retry(*db, r->run_id, std::nullopt, "t2");
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().kind, ErrorKind::kConflict);
  auto missing = set_run_state(*db, 999999, RunState::kCancelled, std::nullopt, "t2");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(insert_retry(*db, 999999, std::nullopt, "t2").error().kind, ErrorKind::kNotFound);
  ASSERT_TRUE(
      save_step(*db, r->run_id,
                {1, "build", pipelines::StepState::kRunning, std::nullopt, std::nullopt, "t1"}));
  ASSERT_TRUE(save_step(
      *db, r->run_id,
      {1, "build", pipelines::StepState::kSucceeded, 0, std::nullopt, std::nullopt, "t2", "/l"}));
  auto steps = list_steps(*db, r->run_id);
  ASSERT_TRUE(steps && steps->size() == 1u);
  EXPECT_EQ((*steps)[0].state, pipelines::StepState::kSucceeded);
  EXPECT_EQ((*steps)[0].started_at, "t1");  // kept from the first write
  EXPECT_EQ((*steps)[0].finished_at, "t2");
  ASSERT_TRUE(set_run_state(*db, r->run_id, RunState::kSucceeded, std::nullopt, "t3"));
  auto run = find_run(*db, r->run_id);
  EXPECT_EQ((*run)->started_at, "t1");
  EXPECT_EQ((*run)->finished_at, "t3");
  EXPECT_FALSE(set_run_state(*db, r->run_id, RunState::kCancelled, std::nullopt, "t4"));
}

// Every state the code can hold is one the schema's CHECK admits and reads back as itself:
// states are enums in records and text only in SQL and JSON.
TEST_F(StoreTest, EveryStepStateIsStoredAndReadBackAsItself) {
  auto r = record_push(*db, request("d-states", kA), "t0");
  ASSERT_TRUE(r);
  int index = 0;
  const std::vector<pipelines::StepState> all{
      pipelines::StepState::kRunning, pipelines::StepState::kSucceeded,
      pipelines::StepState::kFailed, pipelines::StepState::kSkipped,
      pipelines::StepState::kCancelled};
  for (auto state : all) ASSERT_TRUE(save_step(*db, r->run_id, {++index, "s", state}));
  auto steps = list_steps(*db, r->run_id);
  ASSERT_TRUE(steps && steps->size() == all.size());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ((*steps)[i].state, all[i]);
}

TEST_F(StoreTest, RecoveryRequeuesOrFailsInterruptedRuns) {
  auto a = record_push(*db, request("d1", kA), "t0");
  auto b = record_push(*db, request("d2", kB), "t0");
  using pipelines::RunState;
  ASSERT_TRUE(set_run_state(*db, a->run_id, RunState::kRunning, std::nullopt, "t1"));
  ASSERT_TRUE(save_step(*db, a->run_id, {1, "build", pipelines::StepState::kRunning}));
  EXPECT_EQ(recover_interrupted_runs(*db, true, 3, "t2").value().requeued, 1);
  EXPECT_EQ((*find_run(*db, a->run_id))->state, pipelines::RunState::kQueued);
  EXPECT_EQ((*find_run(*db, a->run_id))->reason, "interrupted by a daemon restart; queued again");
  EXPECT_TRUE(list_steps(*db, a->run_id)->empty());
  EXPECT_EQ((*find_run(*db, b->run_id))->state, pipelines::RunState::kQueued);
  ASSERT_TRUE(set_run_state(*db, b->run_id, RunState::kRunning, std::nullopt, "t3"));
  EXPECT_EQ(recover_interrupted_runs(*db, false, 3, "t4").value().failed, 1);
  EXPECT_EQ((*find_run(*db, b->run_id))->state, pipelines::RunState::kFailed);
  EXPECT_EQ(queued_runs(*db)->size(), 1u);
}

// The scheduler's view: which queued runs are forks' pull requests, and how many of each
// project's running runs are (what pull_requests.max_concurrent_forks counts).
TEST_F(StoreTest, QueuedAndRunningRunsSayWhichAreForks) {
  auto pull_request = [&](const std::string& delivery, int number, bool fork) {
    auto r = request(delivery, kA, "refs/pull/" + std::to_string(number) + "/head");
    r.event = "pull_request";
    r.environment = std::nullopt;
    r.pull_request = PullRequestFields{number, "t", "changes", "main", fork, "o/r"};
    return record_push(*db, r, "t0")->run_id;
  };
  const auto own = pull_request("p1", 1, false);
  const auto fork1 = pull_request("p2", 2, true);
  const auto fork2 = pull_request("p3", 3, true);
  const auto push = record_push(*db, request("d1", kB), "t0")->run_id;
  auto queued = queued_runs(*db);
  ASSERT_TRUE(queued) << queued.error().message;
  ASSERT_EQ(queued->size(), 4u);
  EXPECT_FALSE((*queued)[0].fork);
  EXPECT_TRUE((*queued)[1].fork);
  EXPECT_TRUE((*queued)[2].fork);
  EXPECT_FALSE((*queued)[3].fork);
  for (auto id : {own, fork1, push}) {
    ASSERT_TRUE(set_run_state(*db, id, pipelines::RunState::kRunning, std::nullopt, "t1"));
  }
  auto running = running_per_project(*db);
  ASSERT_TRUE(running) << running.error().message;
  EXPECT_EQ(running->at("shop-api").all, 3);
  EXPECT_EQ(running->at("shop-api").forks, 1);
  auto waiting = queued_runs(*db);
  ASSERT_TRUE(waiting && waiting->size() == 1u);
  EXPECT_EQ(waiting->front().id, fork2);
  EXPECT_TRUE(waiting->front().fork);
}

// A run interrupted by a crash at every attempt ends: requeued while it has attempts left,
// then failed with the count, so a run that kills the daemon cannot loop forever.
TEST_F(StoreTest, ARunInterruptedAtEveryAttemptFailsAfterTheLimit) {
  auto a = record_push(*db, request("d1", kA), "t0");
  using pipelines::RunState;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_TRUE(set_run_state(*db, a->run_id, RunState::kRunning, std::nullopt, "t1"));
    auto r = recover_interrupted_runs(*db, true, 3, "t2");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->requeued, 1) << attempt;
    EXPECT_EQ((*find_run(*db, a->run_id))->state, pipelines::RunState::kQueued);
  }
  ASSERT_TRUE(set_run_state(*db, a->run_id, RunState::kRunning, std::nullopt, "t3"));
  auto r = recover_interrupted_runs(*db, true, 3, "t4");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->failed, 1);
  EXPECT_EQ((*find_run(*db, a->run_id))->state, pipelines::RunState::kFailed);
  EXPECT_EQ((*find_run(*db, a->run_id))->reason,
            "interrupted 3 times (limits.run_attempts: 3); not queued again");
  EXPECT_TRUE(queued_runs(*db)->empty());
}

// An image is known as juanie's own from the moment its push is recorded, before any
// deployment names it: a run requeued after a crash in between reuses its tag.
TEST_F(StoreTest, APushedImageIsOursBeforeAnyDeploymentRecordsIt) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  EXPECT_FALSE(*image_recorded(*db, "app", "r/app", "0123456789ab", digest));
  ASSERT_TRUE(record_pushed_image(*db, "app", "r/app", "0123456789ab", digest, "t0"));
  ASSERT_TRUE(record_pushed_image(*db, "app", "r/app", "0123456789ab", digest, "t1"));  // again
  EXPECT_TRUE(*image_recorded(*db, "app", "r/app", "0123456789ab", digest));
  EXPECT_FALSE(
      *image_recorded(*db, "app", "r/app", "0123456789ab", "sha256:" + std::string(64, 'b')));
  EXPECT_FALSE(*image_recorded(*db, "other", "r/app", "0123456789ab", digest));
}

RunRequest pull_request_run(const std::string& delivery, const std::string& sha, bool fork) {
  RunRequest r;
  r.project = "shop-api";
  r.forge = "github";
  r.delivery = delivery;
  r.event = "pull_request";
  r.ref = "refs/pull/7/head";
  r.ref_kind = "branch";
  r.branch = "feature/login";
  r.sha = sha;
  r.pull_request =
      PullRequestFields{7, "Log in", "feature/login", "main", fork, "someone/shop-api"};
  return r;
}

TEST_F(StoreTest, APullRequestRunKeepsItsFieldsAndItsRetryToo) {
  auto out = record_push(*db, pull_request_run("d-pr", kA, true), "2026-01-01T00:00:00Z");
  ASSERT_TRUE(out && out->created);
  auto run = find_run(*db, out->run_id).value().value();
  ASSERT_TRUE(run.pull_request);
  EXPECT_EQ(run.pull_request->number, 7);
  EXPECT_EQ(run.pull_request->title, "Log in");
  EXPECT_EQ(run.pull_request->source_branch, "feature/login");
  EXPECT_EQ(run.pull_request->target_branch, "main");
  EXPECT_TRUE(run.pull_request->fork);
  EXPECT_EQ(run.pull_request->head_repository, "someone/shop-api");
  EXPECT_EQ(run_event(run), "pull_request");
  EXPECT_EQ(run.environment, std::nullopt);
  // A push run has none.
  auto push = record_push(*db, request("d-push", kB), "2026-01-01T00:00:00Z");
  EXPECT_FALSE(find_run(*db, push->run_id).value()->pull_request);
  EXPECT_EQ(run_event(*find_run(*db, push->run_id).value()), "push");
  // A retry is a pull request run of the same fork: it must not gain secrets by retrying.
  ASSERT_TRUE(set_run_state(*db, out->run_id, pipelines::RunState::kRunning, std::nullopt, "t"));
  ASSERT_TRUE(set_run_state(*db, out->run_id, pipelines::RunState::kFailed, "x", "t"));
  auto retry = insert_retry(*db, out->run_id, std::nullopt, "t2");
  ASSERT_TRUE(retry) << retry.error().message;
  auto again = find_run(*db, *retry).value().value();
  ASSERT_TRUE(again.pull_request);
  EXPECT_TRUE(again.pull_request->fork);
  EXPECT_EQ(again.pull_request->number, 7);
}

TEST_F(StoreTest, APullRequestsNewRunSupersedesItsOlderOnesAndAClosedOneCancelsAll) {
  const std::string now = "2026-01-01T00:00:00Z";
  auto first = record_push(*db, pull_request_run("d1", kA, false), now).value().run_id;
  auto second = record_push(*db, pull_request_run("d2", kB, false), now).value().run_id;
  // Another pull request and a push are not touched.
  auto other_pr = pull_request_run("d3", kA, false);
  other_pr.ref = "refs/pull/8/head";
  auto other = record_push(*db, other_pr, now).value().run_id;
  auto push = record_push(*db, request("d4", kA), now).value().run_id;
  ASSERT_TRUE(set_run_state(*db, first, pipelines::RunState::kRunning, std::nullopt, now));
  const std::string kC = "cccccccccccccccccccccccccccccccccccccccc";
  auto third = record_push(*db, pull_request_run("d5", kC, false), now).value().run_id;
  auto running = supersede_pull_request(*db, "shop-api", "refs/pull/7/head", third, now);
  ASSERT_TRUE(running) << running.error().message;
  EXPECT_EQ(*running, (std::vector<std::int64_t>{first}));
  auto r2 = find_run(*db, second).value().value();
  EXPECT_EQ(r2.state, pipelines::RunState::kCancelled);
  EXPECT_EQ(r2.reason, "superseded by run " + std::to_string(third));
  EXPECT_EQ(find_run(*db, third).value()->state, pipelines::RunState::kQueued);
  EXPECT_EQ(find_run(*db, other).value()->state, pipelines::RunState::kQueued);
  EXPECT_EQ(find_run(*db, push).value()->state, pipelines::RunState::kQueued);
  auto closed =
      close_pull_request(*db, "shop-api", "refs/pull/7/head", "pull request #7 was closed", now);
  ASSERT_TRUE(closed);
  EXPECT_EQ(*closed, (std::vector<std::int64_t>{first}));
  EXPECT_EQ(find_run(*db, third).value()->reason, "pull request #7 was closed");
  EXPECT_EQ(find_run(*db, third).value()->state, pipelines::RunState::kCancelled);
  EXPECT_EQ(find_run(*db, other).value()->state, pipelines::RunState::kQueued);
  // The daemon dies before the running one stopped: at start it is cancelled, not run again,
  // while another interrupted run is queued again as before.
  ASSERT_TRUE(set_run_state(*db, other, pipelines::RunState::kRunning, std::nullopt, now));
  auto recovered = recover_interrupted_runs(*db, true, 3, now);
  ASSERT_TRUE(recovered) << recovered.error().message;
  EXPECT_EQ(recovered->cancelled, 1);
  EXPECT_EQ(recovered->requeued, 1);
  auto r1 = find_run(*db, first).value().value();
  EXPECT_EQ(r1.state, pipelines::RunState::kCancelled);
  EXPECT_EQ(r1.reason, "pull request #7 was closed");
  EXPECT_EQ(find_run(*db, other).value()->state, pipelines::RunState::kQueued);
}

}  // namespace
}  // namespace juanie::daemon::store
