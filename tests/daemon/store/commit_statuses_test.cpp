// The triggers of migration 14: every state change of a run or a deployment of a reporting
// project leaves exactly one status waiting per (commit, context) — the newest — in the same
// transaction; projects that do not report leave nothing.
#include "daemon/store/commit_statuses.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "daemon/store/deployments.hpp"
#include "daemon/store/outbox.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/schema.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

namespace juanie::daemon::store {
namespace {

namespace json = boost::json;
using pipelines::DeploymentState;
using pipelines::RunState;

const std::string kA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

class CommitStatusStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(test::open_database(dir / "juanie.db", db)); }

  std::int64_t push(const std::string& project, const std::string& sha) {
    RunRequest r;
    r.project = project;
    r.forge = "github";
    r.delivery = "d-" + std::to_string(++deliveries);
    r.event = "push";
    r.ref = "refs/heads/develop";
    r.ref_kind = "branch";
    r.branch = "develop";
    r.sha = sha;
    r.environment = "dev";
    auto out = record_push(*db, r, "2026-11-30T10:00:00Z");
    EXPECT_TRUE(out) << out.error().message;
    return out ? out->run_id : 0;
  }

  void move(std::int64_t run, RunState to, const std::string& reason = "") {
    ASSERT_TRUE(set_run_state(*db, run, to, reason.empty() ? std::nullopt : std::optional(reason),
                              "2026-11-30T10:00:01Z"));
  }

  // The commit_status rows, oldest first.
  std::vector<OutboxMessage> statuses() {
    auto all = list_outbox(*db, 1000);
    EXPECT_TRUE(all);
    std::vector<OutboxMessage> out;
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
      if (it->sink == R"({"type":"commit_status"})") out.push_back(*it);
    }
    return out;
  }

  static std::string field(const OutboxMessage& m, const char* key) {
    const json::value payload = json::parse(m.payload);
    const json::value& v = payload.at(key);
    return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
  }

  test::TempDir dir;
  std::optional<Database> db;
  int deliveries = 0;
};

TEST_F(CommitStatusStoreTest, AProjectThatDoesNotReportEnqueuesNothing) {
  ASSERT_TRUE(set_status_projects(*db, {"other"}));
  const auto run = push("shop-api", kA);
  move(run, RunState::kRunning);
  move(run, RunState::kSucceeded);
  EXPECT_TRUE(statuses().empty());
}

TEST_F(CommitStatusStoreTest, OnlyTheNewestStatusOfACommitWaits) {
  ASSERT_TRUE(set_status_projects(*db, {"shop-api"}));
  const auto run = push("shop-api", kA);
  auto rows = statuses();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, "pending");
  EXPECT_EQ(rows[0].event, "run_status");
  EXPECT_EQ(field(rows[0], "state"), "queued");
  EXPECT_EQ(field(rows[0], "sha"), kA);
  EXPECT_EQ(field(rows[0], "run"), std::to_string(run));

  const auto other = push("shop-api", kB);  // another commit: a status of its own
  move(run, RunState::kRunning);
  move(run, RunState::kSucceeded);
  rows = statuses();
  ASSERT_EQ(rows.size(), 4u);
  // kA: queued and running superseded, succeeded waits; kB's queued is untouched.
  EXPECT_EQ(rows[0].state, "abandoned");
  EXPECT_EQ(rows[0].last_error.value_or(""), "superseded by a newer status");
  EXPECT_EQ(field(rows[1], "run"), std::to_string(other));
  EXPECT_EQ(rows[1].state, "pending");
  EXPECT_EQ(rows[2].state, "abandoned");
  EXPECT_EQ(field(rows[2], "state"), "running");
  EXPECT_EQ(rows[3].state, "pending");
  EXPECT_EQ(field(rows[3], "state"), "succeeded");

  // A status being retried is superseded too: it can never be sent after the newer one.
  ASSERT_TRUE(mark_failed(*db, rows[1].id, "HTTP 500", "2026-11-30T11:00:00Z"));
  move(other, RunState::kCancelled, "superseded by run 9");
  rows = statuses();
  EXPECT_EQ(rows[1].state, "abandoned");
  EXPECT_EQ(field(rows.back(), "reason"), "superseded by run 9");
  EXPECT_EQ(rows.back().state, "pending");
}

// A pull request's run of a commit a push already ran (a fork can open one on any commit)
// reports under a context of its own: it supersedes nothing of the push run's, and says so.
TEST_F(CommitStatusStoreTest, APullRequestRunOfAPushedCommitLeavesThePushRunsStatusAlone) {
  ASSERT_TRUE(set_status_projects(*db, {"shop-api"}));
  const auto pushed = push("shop-api", kA);
  RunRequest r;
  r.project = "shop-api";
  r.forge = "github";
  r.delivery = "pr-1";
  r.event = "pull_request";
  r.ref = "refs/pull/5/head";
  r.ref_kind = "branch";
  r.branch = "feature";
  r.sha = kA;
  r.pull_request = PullRequestFields{5, "t", "feature", "main", true, "stranger/app"};
  auto pr = record_push(*db, r, "2026-11-30T10:00:00Z");
  ASSERT_TRUE(pr) << pr.error().message;
  ASSERT_NE(pr->run_id, pushed);
  move(pr->run_id, RunState::kRunning);
  const auto rows = statuses();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(field(rows[0], "run"), std::to_string(pushed));
  EXPECT_EQ(rows[0].state, "pending")
      << "the push run's status is not the pull request's to replace";
  EXPECT_EQ(field(rows[0], "pull_request"), "false");
  EXPECT_EQ(field(rows[2], "pull_request"), "true");
  EXPECT_EQ(rows[1].state, "abandoned");  // the pull request run's own queued status
}

TEST_F(CommitStatusStoreTest, AFailedStepIsCarriedForTheVerdict) {
  ASSERT_TRUE(set_status_projects(*db, {"shop-api"}));
  const auto run = push("shop-api", kA);
  move(run, RunState::kRunning);
  StepRecord step;
  step.name = "lint";
  step.state = pipelines::StepState::kFailed;
  ASSERT_TRUE(save_step(*db, run, step));
  move(run, RunState::kFailed, "step lint failed: exit code 3");
  EXPECT_EQ(field(statuses().back(), "step_failed"), "true");

  const auto broken = push("shop-api", kB);
  move(broken, RunState::kRunning);
  move(broken, RunState::kFailed, "fetch: connection refused");
  EXPECT_EQ(field(statuses().back(), "step_failed"), "false");
}

TEST_F(CommitStatusStoreTest, DeploymentsReportUnderTheirEnvironment) {
  ASSERT_TRUE(set_status_projects(*db, {"shop-api"}));
  const auto run = push("shop-api", kA);
  move(run, RunState::kRunning);
  move(run, RunState::kSucceeded);
  DeploymentRecord d;
  d.run = run;
  d.project = "shop-api";
  d.environment = "dev";
  d.image = "registry.example.com/acme/shop-api";
  d.tag = "aaaaaaaaaaaa";
  auto created = create_deployment(*db, d, "2026-11-30T10:00:02Z");
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_TRUE(set_deployment_state(*db, created->id, DeploymentState::kRunning, std::nullopt,
                                   std::nullopt, "2026-11-30T10:00:03Z"));
  auto rows = statuses();
  ASSERT_EQ(rows.size(), 5u);
  // The run's success still waits: a deployment's status is another context.
  EXPECT_EQ(field(rows[2], "state"), "succeeded");
  EXPECT_EQ(rows[2].state, "pending");
  EXPECT_EQ(rows[3].event, "deployment_status");
  EXPECT_EQ(rows[3].state, "abandoned");
  EXPECT_EQ(field(rows[4], "state"), "running");
  EXPECT_EQ(field(rows[4], "environment"), "dev");
  EXPECT_EQ(field(rows[4], "sha"), kA);
  EXPECT_EQ(field(rows[4], "deployment"), std::to_string(created->id));
  EXPECT_EQ(rows[4].state, "pending");
}

TEST_F(CommitStatusStoreTest, TheReportingProjectsAreReplacedWhole) {
  ASSERT_TRUE(set_status_projects(*db, {"a", "b", "b"}));
  ASSERT_TRUE(set_status_projects(*db, {"shop-api"}));
  push("a", kA);
  EXPECT_TRUE(statuses().empty());
  const auto run = push("shop-api", kB);
  EXPECT_EQ(statuses().size(), 1u);
  EXPECT_TRUE(set_status_report(*db, run, R"({"state":"delivered"})"));
  EXPECT_EQ(status_report(*db, run).value(), R"({"state":"delivered"})");
  EXPECT_EQ(status_report(*db, run + 100).value(), std::nullopt);
}

}  // namespace
}  // namespace juanie::daemon::store
