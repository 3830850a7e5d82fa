// Runs claimed as leases by several nodes at once on a real PostgreSQL: every run claimed
// once, the limits held across claimers, a lost lease requeued once, labels honoured.
#include "daemon/store/pg_claims.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "daemon/store/pg_fixture.hpp"
#include "daemon/store/pg_schema.hpp"
#include "daemon/store/run_lifecycle.hpp"

namespace juanie::daemon::store::pg {
namespace {

constexpr const char* kNow = "2026-12-01T00:00:00Z";

class PgClaims : public test::PgStoreTest {
 protected:
  // `n` queued runs of `project` asking for `labels`, in one statement.
  void queue(const std::string& project, int n, const std::vector<std::string>& labels = {}) {
    auto ok = conn_->exec(
        "INSERT INTO runs (project, ref, ref_kind, branch, sha, deploy_trigger, trigger, state, "
        "created_at, runs_on) SELECT $1, 'refs/heads/main', 'branch', 'main', 'sha' || g, "
        "'push', 'push', 'queued', $2, $3::text[] FROM generate_series(1, $4) g",
        {project, kNow, Param::array(labels), n});
    ASSERT_TRUE(ok) << ok.error().message;
  }

  std::map<std::string, std::int64_t> running_per_project() {
    auto rows =
        conn_->exec("SELECT project, count(*) FROM runs WHERE state = 'running' GROUP BY project");
    EXPECT_TRUE(rows);
    std::map<std::string, std::int64_t> out;
    for (int i = 0; rows && i < rows->size(); ++i) out[rows->text(i, 0)] = rows->int64(i, 1);
    return out;
  }

  // `claimers` nodes, each on its own connection, claiming at once until none gets anything:
  // the runs each claimed.
  std::vector<std::vector<std::int64_t>> claim_concurrently(int claimers, ClaimRequest base) {
    std::vector<Connection> conns;
    for (int i = 0; i < claimers; ++i) conns.push_back(connect());
    std::vector<std::vector<std::int64_t>> claimed(claimers);
    std::vector<std::string> errors(claimers);
    std::latch start(claimers);
    std::vector<std::thread> threads;
    for (int i = 0; i < claimers; ++i) {
      threads.emplace_back([&, i] {
        ClaimRequest req = base;
        req.node = "node-" + std::to_string(i);
        start.arrive_and_wait();
        for (;;) {
          auto got = with_retry(5, [&] { return claim_run(conns[i], req); });
          if (!got) {
            errors[i] = got.error().message;
            return;
          }
          if (!*got) return;
          claimed[i].push_back((*got)->run);
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    return claimed;
  }
};

TEST_F(PgClaims, ManyClaimersClaimEveryRunExactlyOnce) {
  for (int p = 0; p < 10; ++p) queue("project-" + std::to_string(p), 50);
  const auto claimed = claim_concurrently(8, {.lease_ttl = std::chrono::seconds(300),
                                              .node_capacity = 1000,
                                              .per_project = 1000,
                                              .now = kNow});
  std::vector<std::int64_t> all;
  for (const auto& c : claimed) all.insert(all.end(), c.begin(), c.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), 500u);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a run claimed twice";
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'queued'"), 0);
  // Each run is held by the node that claimed it, with a lease in the future.
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    for (auto run : claimed[i]) {
      EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE id = $1 AND node = $2 AND state = "
                       "'running' AND lease_until > now() AND started_at = $3",
                       {run, "node-" + std::to_string(i), kNow}),
                1);
    }
  }
  int busy_claimers = 0;
  for (const auto& c : claimed) busy_claimers += !c.empty();
  EXPECT_GT(busy_claimers, 1) << "the claimers did not run side by side";
}

// Round after round, eight claimers race for three projects' runs with two places each: never
// more than two of a project run, and the places are filled.
TEST_F(PgClaims, PerProjectLimitHoldsUnderConcurrentClaimers) {
  for (const char* p : {"a", "b", "c"}) queue(p, 40);
  for (int round = 0; round < 6; ++round) {
    const auto claimed =
        claim_concurrently(8, {.node_capacity = 100, .per_project = 2, .now = kNow});
    const auto running = running_per_project();
    for (const auto& [project, n] : running) {
      EXPECT_LE(n, 2) << "round " << round << ": project " << project;
    }
    // Every place taken: a claim that gave up on a busy project would leave one free here.
    EXPECT_EQ(running.size(), 3u) << "round " << round;
    ASSERT_TRUE(
        conn_->exec("UPDATE runs SET state = 'succeeded', finished_at = $1 "
                    "WHERE state = 'running'",
                    {kNow}));
  }
}

TEST_F(PgClaims, ClusterAndNodeLimitsHoldUnderConcurrentClaimers) {
  for (int p = 0; p < 10; ++p) queue("p" + std::to_string(p), 10);
  claim_concurrently(8, {.node_capacity = 100, .per_project = 100, .cluster_runs = 5, .now = kNow});
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'running'"), 5);

  ASSERT_TRUE(conn_->exec("UPDATE runs SET state = 'queued', node = NULL WHERE state = 'running'"));
  // Eight threads of one node with room for three.
  std::vector<Connection> conns;
  for (int i = 0; i < 8; ++i) conns.push_back(connect());
  std::latch start(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      for (int k = 0; k < 3; ++k) {
        (void)claim_run(conns[i],
                        {.node = "one", .node_capacity = 3, .per_project = 100, .now = kNow});
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'running' AND node = 'one'"), 3);
}

TEST_F(PgClaims, ExpiredLeaseIsRequeuedOnceAndClaimedByAnotherNode) {
  queue("shop", 1);
  auto a = claim_run(*conn_, {.node = "a", .now = kNow});
  ASSERT_TRUE(a && *a);
  const std::int64_t run = (*a)->run;
  ASSERT_TRUE(renew_lease(*conn_, run, "a", std::chrono::seconds(60)));
  ASSERT_TRUE(
      conn_->exec("INSERT INTO steps (run_id, idx, name, state) VALUES ($1, 0, 't', "
                  "'running')",
                  {run}));
  // Nothing has expired yet: nothing is requeued.
  auto none = requeue_expired(*conn_, 3, kNow);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->requeued.empty());

  // Node a stops renewing and its lease passes (set in the past rather than slept through).
  ASSERT_TRUE(conn_->exec("UPDATE runs SET lease_until = now() - interval '1 second' WHERE id = $1",
                          {run}));
  // Four nodes notice at once: one of them requeues it.
  std::vector<Connection> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(connect());
  std::vector<Result<Expired>> results(4);
  std::latch start(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = requeue_expired(conns[i], 3, kNow);
    });
  }
  for (auto& t : threads) t.join();
  int requeued = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().message;
    requeued += static_cast<int>(r->requeued.size());
  }
  EXPECT_EQ(requeued, 1);
  EXPECT_EQ(scalar("SELECT interruptions FROM runs WHERE id = $1 AND state = 'queued' AND node "
                   "IS NULL AND started_at IS NULL",
                   {run}),
            1);
  EXPECT_EQ(scalar("SELECT count(*) FROM steps WHERE run_id = $1", {run}), 0);
  // a's heartbeat now fails: it must stop the run.
  auto renewed = renew_lease(*conn_, run, "a", std::chrono::seconds(60));
  ASSERT_FALSE(renewed);
  EXPECT_EQ(renewed.error().kind, ErrorKind::kConflict);

  auto b = claim_run(*conn_, {.node = "b", .now = kNow});
  ASSERT_TRUE(b && *b);
  EXPECT_EQ((*b)->run, run);
  EXPECT_EQ((*b)->interruptions, 1);
}

// A cancel asked on another node while the holder read the pipeline: the run is not handed
// on to start again elsewhere; its holder ends it.
TEST_F(PgClaims, ARunWhoseCancelWasAskedIsNotHandedBack) {
  ASSERT_TRUE(register_node(*conn_, "arm", {"arm64"}, 2, kNow));
  queue("shop", 1);
  auto first = claim_run(*conn_, {.node = "x86", .now = kNow});
  ASSERT_TRUE(first && *first);
  const auto run = (*first)->run;
  ASSERT_TRUE(
      conn_->exec("UPDATE runs SET cancel_reason = 'cancelled by alice' WHERE id = $1", {run}));
  auto as_x86 = Database::open_postgresql(connect(), false, "x86");
  ASSERT_TRUE(as_x86);
  auto handed = hand_back_run(*as_x86, run, {"arm64"}, "x86 lacks arm64", kNow);
  ASSERT_TRUE(handed) << handed.error().message;
  EXPECT_EQ(*handed, HandBack::kCancelAsked);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE id = $1 AND state = 'running' AND node = "
                   "'x86' AND runs_on = '{}'",
                   {run}),
            1);
}

// Fencing: a node whose lease passed (a long pause, a lost network) may still be executing
// the run and go on reporting it. Once another node took the run, nothing the old one says
// moves the run or writes its steps.
TEST_F(PgClaims, ANodeWhoseLeasePassedCanNoLongerMoveTheRunNorWriteItsSteps) {
  queue("shop", 1);
  auto first = claim_run(*conn_, {.node = "a", .now = kNow});
  ASSERT_TRUE(first && *first);
  const auto run = (*first)->run;
  auto as_a = Database::open_postgresql(connect(), false, "a");
  ASSERT_TRUE(as_a);
  StepRecord step{.index = 0, .name = "build", .state = pipelines::StepState::kRunning};
  ASSERT_TRUE(save_step(*as_a, run, step)) << "the holder writes its steps";

  ASSERT_TRUE(conn_->exec("UPDATE runs SET lease_until = now() - interval '1 second' WHERE id = $1",
                          {run}));
  auto expired = requeue_expired(*conn_, 3, kNow);
  ASSERT_TRUE(expired && expired->requeued.size() == 1U);
  // Between the requeue and the next claim: a's word changes nothing either.
  auto queued_then = set_run_state(*as_a, run, pipelines::RunState::kSucceeded, std::nullopt, kNow);
  ASSERT_FALSE(queued_then);
  EXPECT_EQ(queued_then.error().kind, ErrorKind::kConflict);
  auto b = claim_run(*conn_, {.node = "b", .now = kNow});
  ASSERT_TRUE(b && *b);
  ASSERT_EQ((*b)->run, run);

  auto moved = set_run_state(*as_a, run, pipelines::RunState::kSucceeded, std::nullopt, kNow);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(moved.error().message,
            "run " + std::to_string(run) + " is held by node b, not this one");
  step.state = pipelines::StepState::kSucceeded;
  auto written = save_step(*as_a, run, step);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(scalar("SELECT count(*) FROM steps WHERE run_id = $1", {run}), 0)
      << "the requeue cleared a's steps and a wrote none back";

  // The holder's own word still counts.
  auto as_b = Database::open_postgresql(connect(), false, "b");
  ASSERT_TRUE(as_b);
  ASSERT_TRUE(save_step(*as_b, run, step));
  ASSERT_TRUE(set_run_state(*as_b, run, pipelines::RunState::kSucceeded, std::nullopt, kNow));
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE id = $1 AND state = 'succeeded' AND node = "
                   "'b'",
                   {run}),
            1);
}

// The attempt limit of the single-node store: interrupted max_attempts times, the run fails
// with the same reason; a cancel asked while it ran wins over the queue.
TEST_F(PgClaims, LostLeasesPastTheAttemptLimitFailTheRun) {
  queue("shop", 2);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto got = claim_run(*conn_, {.node = "n", .per_project = 1, .now = kNow});
    ASSERT_TRUE(got && *got);
    ASSERT_TRUE(
        conn_->exec("UPDATE runs SET lease_until = now() - interval '1 second' "
                    "WHERE state = 'running'"));
    auto expired = requeue_expired(*conn_, 2, kNow);
    ASSERT_TRUE(expired) << expired.error().message;
    if (attempt == 1) {
      EXPECT_EQ(expired->requeued.size(), 1u);
    } else {
      ASSERT_EQ(expired->failed.size(), 1u);
      auto rows = conn_->exec("SELECT state, reason, finished_at FROM runs WHERE id = $1",
                              {expired->failed[0]});
      ASSERT_TRUE(rows);
      EXPECT_EQ(rows->text(0, 0), "failed");
      EXPECT_EQ(rows->text(0, 1), "interrupted 2 times (limits.run_attempts: 2); not queued again");
      EXPECT_EQ(rows->text(0, 2), kNow);
    }
  }
  auto other = claim_run(*conn_, {.node = "n", .now = kNow});
  ASSERT_TRUE(other && *other);
  ASSERT_TRUE(
      conn_->exec("UPDATE runs SET cancel_reason = 'superseded', "
                  "lease_until = now() - interval '1 second' WHERE id = $1",
                  {(*other)->run}));
  auto expired = requeue_expired(*conn_, 5, kNow);
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->cancelled, std::vector<std::int64_t>{(*other)->run});
}

TEST_F(PgClaims, OnlyANodeWithTheLabelsClaimsARunAskingForThem) {
  queue("shop", 1, {"arm64"});
  auto x86 = claim_run(*conn_, {.node = "x86", .labels = {"amd64", "big"}, .now = kNow});
  ASSERT_TRUE(x86);
  EXPECT_FALSE(*x86);
  auto bare = claim_run(*conn_, {.node = "bare", .now = kNow});
  ASSERT_TRUE(bare);
  EXPECT_FALSE(*bare);
  auto arm = claim_run(*conn_, {.node = "arm", .labels = {"big", "arm64"}, .now = kNow});
  ASSERT_TRUE(arm && *arm);

  // A run asking for nothing goes to any node; one asking for two labels needs both.
  queue("shop", 1);
  queue("shop", 1, {"arm64", "gpu"});
  auto any = claim_run(*conn_, {.node = "x86", .labels = {"amd64"}, .per_project = 5, .now = kNow});
  ASSERT_TRUE(any && *any);
  auto half =
      claim_run(*conn_, {.node = "arm", .labels = {"arm64"}, .per_project = 5, .now = kNow});
  ASSERT_TRUE(half);
  EXPECT_FALSE(*half);
  auto both =
      claim_run(*conn_, {.node = "arm", .labels = {"gpu", "arm64"}, .per_project = 5, .now = kNow});
  ASSERT_TRUE(both && *both);
}

// A run is queued before anyone reads its pipeline; the node that claims it and finds labels
// it lacks (runs_on) hands it back asking for them.
TEST_F(PgClaims, ARunHandedBackAsksForItsLabelsAndOnlyANodeWithThemClaimsItNext) {
  ASSERT_TRUE(register_node(*conn_, "x86", {"amd64"}, 2, kNow));
  ASSERT_TRUE(register_node(*conn_, "arm", {"arm64", "gpu"}, 2, kNow));
  queue("shop", 1);
  auto first = claim_run(*conn_, {.node = "x86", .labels = {"amd64"}, .now = kNow});
  ASSERT_TRUE(first && *first);
  const auto run = (*first)->run;

  // Only the holder hands it back.
  auto as_arm = Database::open_postgresql(connect(), false, "arm");
  ASSERT_TRUE(as_arm);
  auto refused = hand_back_run(*as_arm, run, {"arm64"}, "not mine", kNow);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(refused.error().message,
            "run " + std::to_string(run) + " is not held running by node arm");

  auto as_x86 = Database::open_postgresql(connect(), false, "x86");
  ASSERT_TRUE(as_x86);
  // No node has both "arm64" and "riscv": nothing changes, the caller fails the run.
  auto nobody = hand_back_run(*as_x86, run, {"arm64", "riscv"}, "lacks them", kNow);
  ASSERT_TRUE(nobody) << nobody.error().message;
  EXPECT_EQ(*nobody, HandBack::kNoNodeHasThem);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE id = $1 AND state = 'running' AND node = "
                   "'x86'",
                   {run}),
            1);

  auto handed = hand_back_run(*as_x86, run, {"arm64"}, "x86 lacks arm64", kNow);
  ASSERT_TRUE(handed) << handed.error().message;
  EXPECT_EQ(*handed, HandBack::kQueued);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE id = $1 AND state = 'queued' AND node IS "
                   "NULL AND lease_until IS NULL AND interruptions = 0 AND runs_on = '{arm64}' "
                   "AND reason = 'x86 lacks arm64'",
                   {run}),
            1);
  auto again = claim_run(*conn_, {.node = "x86", .labels = {"amd64"}, .now = kNow});
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "the node that handed it back cannot claim it";
  auto arm = claim_run(*conn_, {.node = "arm", .labels = {"arm64", "gpu"}, .now = kNow});
  ASSERT_TRUE(arm && *arm);
  EXPECT_EQ((*arm)->run, run);
}

// Fairness: a busier node leaves a run to a less busy one that is asking for runs, has room
// and has the run's labels — and only for as long as that node keeps asking.
TEST_F(PgClaims, ABusierNodeLeavesNewRunsToALessBusyOneThatIsAsking) {
  ASSERT_TRUE(register_node(*conn_, "a", {"linux"}, 4, kNow));
  ASSERT_TRUE(register_node(*conn_, "b", {"linux"}, 4, kNow));
  queue("shop", 4);
  const ClaimRequest a{
      .node = "a", .labels = {"linux"}, .node_capacity = 4, .per_project = 4, .now = kNow};
  ClaimRequest b = a;
  b.node = "b";
  auto first = claim_run(*conn_, a);
  ASSERT_TRUE(first && *first) << "nobody is less busy than a node holding nothing";
  // b asks (and holds nothing): a, holding one, passes.
  ASSERT_TRUE(mark_ready(*conn_, "b"));
  auto passed = claim_run(*conn_, a);
  ASSERT_TRUE(passed);
  EXPECT_FALSE(*passed) << "a took a run b was asking for";
  auto second = claim_run(*conn_, b);
  ASSERT_TRUE(second && *second);
  // As busy as each other: a claims again.
  auto third = claim_run(*conn_, a);
  ASSERT_TRUE(third && *third);
  // b holds fewer again, but stopped asking more than kReadyWindow ago: a waits no longer.
  ASSERT_TRUE(
      conn_->exec("UPDATE nodes SET ready_at = now() - $1::bigint * interval '1 second' "
                  "WHERE name = 'b'",
                  {Param::bigint(kReadyWindow.count() + 1)}));
  auto fourth = claim_run(*conn_, a);
  ASSERT_TRUE(fourth && *fourth) << "a node that stopped asking holds nothing back";
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE node = 'a'"), 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE node = 'b'"), 1);
}

TEST_F(PgClaims, ARunALessBusyNodeCannotTakeIsNotLeftToIt) {
  ASSERT_TRUE(register_node(*conn_, "a", {"linux", "gpu"}, 4, kNow));
  ASSERT_TRUE(register_node(*conn_, "b", {"linux"}, 4, kNow));
  ASSERT_TRUE(register_node(*conn_, "full", {"linux", "gpu"}, 0, kNow));
  queue("shop", 1);
  queue("ml", 1, {"gpu"});
  const ClaimRequest a{
      .node = "a", .labels = {"linux", "gpu"}, .node_capacity = 4, .per_project = 4, .now = kNow};
  auto first = claim_run(*conn_, a);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->project, "shop");
  // b asks but lacks gpu; `full` has gpu but no room: a takes the gpu run itself.
  ASSERT_TRUE(mark_ready(*conn_, "b"));
  ASSERT_TRUE(mark_ready(*conn_, "full"));
  auto gpu = claim_run(*conn_, a);
  ASSERT_TRUE(gpu && *gpu);
  EXPECT_EQ((*gpu)->project, "ml");
}

// A node not heard from for cluster.node_retention is retired: gone from the nodes, and its
// labels no longer keep a run that asks for them waiting. One that still holds a run stays.
TEST_F(PgClaims, ANodeSilentForItsRetentionIsRetiredAndItsLabelsNoLongerCount) {
  ASSERT_TRUE(register_node(*conn_, "gone", {"gpu"}, 2, kNow));
  ASSERT_TRUE(register_node(*conn_, "holding", {"arm64"}, 2, kNow));
  ASSERT_TRUE(register_node(*conn_, "x86", {"amd64"}, 2, kNow));
  queue("shop", 3);
  auto held = claim_run(*conn_, {.node = "holding", .now = kNow});
  ASSERT_TRUE(held && *held);
  ASSERT_TRUE(
      conn_->exec("UPDATE nodes SET heartbeat_at = now() - interval '8 days' "
                  "WHERE name IN ('gone', 'holding')"));
  auto as_x86 = Database::open_postgresql(connect(), false, "x86");
  ASSERT_TRUE(as_x86);
  // Before: a run asking for gpu waits for `gone`, which may come back.
  auto first = claim_run(*conn_, {.node = "x86", .now = kNow});
  ASSERT_TRUE(first && *first);
  auto waits = hand_back_run(*as_x86, (*first)->run, {"gpu"}, "x86 lacks gpu", kNow);
  ASSERT_TRUE(waits) << waits.error().message;
  EXPECT_EQ(*waits, HandBack::kQueued);

  auto retired = retire_nodes(*conn_, std::chrono::hours(24 * 7), kNow);
  ASSERT_TRUE(retired) << retired.error().message;
  EXPECT_EQ(*retired, (std::vector<std::string>{"gone"}));
  EXPECT_EQ(scalar("SELECT count(*) FROM nodes"), 2) << "holding holds a run; x86 is alive";
  // The run that was waiting for gpu waits no more: it failed, saying why.
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE id = $1 AND state = 'failed' AND reason = "
                   "'no build node has all the labels gpu the pipeline asks for (runs_on); add "
                   "them to a node''s node.labels'",
                   {(*first)->run}),
            1);
  auto younger = retire_nodes(*conn_, std::chrono::hours(24 * 9), kNow);
  ASSERT_TRUE(younger && younger->empty());
  // After: no node has gpu, so a run asking for it is told so rather than left waiting.
  auto second = claim_run(*conn_, {.node = "x86", .now = kNow});
  ASSERT_TRUE(second && *second);
  auto none = hand_back_run(*as_x86, (*second)->run, {"gpu"}, "x86 lacks gpu", kNow);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(*none, HandBack::kNoNodeHasThem);
}

}  // namespace
}  // namespace juanie::daemon::store::pg
