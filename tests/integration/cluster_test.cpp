// Several real `juanie serve` processes sharing one real PostgreSQL database (store.backend:
// postgresql): one queue, one history. Each daemon has its own home (data_dir, mirrors,
// workspaces), as nodes on different machines would; they share the database and the project's
// repository.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/store/pg_connection.hpp"
#include "daemon/store/pg_fixture.hpp"
#include "integration/daemon_fixture.hpp"
#include "integration/raw_client.hpp"
#include "support/busybox_image.hpp"
#include "support/pushed_repository.hpp"
#include "support/registry.hpp"
#include "support/shell.hpp"

namespace juanie::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// A repository for the nodes' project `app` and the nodes themselves, on one fresh database.
class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uri_ = shared_postgres().uri(shared_postgres().create_database());
    const std::string bare = (shared_.path() / "app.git").string();
    const std::string work = (shared_.path() / "work").string();
    sh("git init -q --bare -b develop " + bare + " && git init -q -b develop " + work +
       " && git -C " + work + " remote add origin " + bare);
    // The daemons' sandbox users reach the repository through the shared folder.
    fs::permissions(shared_.path(),
                    fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  }

  // A node named `name`; `extra` goes into its juanie.yaml.
  Daemon& node(const std::string& name, const std::string& extra = "",
               const std::string& lease_ttl = "60s") {
    return with_project(std::make_unique<Daemon>(
        "store: {backend: postgresql, url_file: pg.url}\nnode: {name: " + name +
            ", labels: [linux, " + name + "-label]}\ncluster: {lease_ttl: " + lease_ttl + "}\n" +
            extra,
        true));
  }

  // A daemon alone, on its own SQLite file.
  Daemon& solo() { return with_project(std::make_unique<Daemon>("", true)); }

  Daemon& with_project(std::unique_ptr<Daemon> d) {
    d->home().write("secrets/pg.url", uri_ + "\n");
    d->home().write("secrets/app.webhook", kGithubSecret);
    d->home().write("projects.d/app.yaml",
                    "name: app\nrepo: {url: " + (shared_.path() / "app.git").string() +
                        ", forge: github, webhook_secret: app.webhook}\n"
                        "branches: [{match: develop, environment: dev}]\n");
    nodes_.push_back(std::move(d));
    return *nodes_.back();
  }

  // Commits `pipeline` on develop and pushes it, with `branches` more branches at the same
  // commit; returns the commit.
  std::string commit(const std::string& pipeline, int branches = 0) {
    const std::string work = (shared_.path() / "work").string();
    shared_.write("work/.juanie.yml", pipeline);
    shared_.write("work/VERSION", std::to_string(++commits_) + "\n");
    std::string refs;
    for (int i = 0; i < branches; ++i) refs += " HEAD:refs/heads/b" + std::to_string(i);
    sh("git -C " + work + " add -A && git -C " + work +
       " -c user.email=dev@example.com -c user.name=Dev commit -qm change && git -C " + work +
       " push -q origin develop" + refs);
    std::string sha = sh("git -C " + work + " rev-parse HEAD");
    sha.pop_back();
    return sha;
  }

  // A signed push webhook to `d`: the run's id, or 0 when it was not acknowledged.
  static std::int64_t push(Daemon& d, const std::string& branch, const std::string& sha,
                           const std::string& delivery) {
    const std::string body = push_body("refs/heads/" + branch, sha);
    auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, delivery));
    if (r.status != 202 && r.status != 200) return 0;
    return json::parse(r.body).at("run").as_int64();
  }

  daemon::store::pg::Connection db() {
    auto conn = daemon::store::pg::Connection::connect(uri_);
    if (!conn) throw std::runtime_error(conn.error().message);
    return std::move(*conn);
  }

  long long count(const std::string& sql) {
    auto conn = db();
    auto rows = conn.exec(sql);
    if (!rows) throw std::runtime_error(rows.error().message);
    return rows->int64(0, 0);
  }

  // How many times each run was started, across the nodes' logs.
  std::map<std::int64_t, int> starts() const {
    std::map<std::int64_t, int> out;
    const std::regex started(R"(msg="run (\d+) started: )");
    for (const auto& d : nodes_) {
      const std::string log = d->log();
      for (std::sregex_iterator it(log.begin(), log.end(), started), end; it != end; ++it) {
        ++out[std::stoll((*it)[1].str())];
      }
    }
    return out;
  }

  std::string uri_;
  TempDir shared_;
  std::vector<std::unique_ptr<Daemon>> nodes_;
  int commits_ = 0;
};

TEST_F(ClusterTest, ADaemonOnPostgresqlRunsAPushToSuccessAndKeepsItThere) {
  Daemon& a = node("a");
  ASSERT_TRUE(a.start()) << a.log();
  EXPECT_TRUE(a.wait_for_log("store: postgresql, shared as node a (labels linux, a-label)"))
      << a.log();
  const std::string sha = commit("steps:\n  - {name: ok, commands: [\"echo hello from $0\"]}\n");
  const auto run = push(a, "develop", sha, "first");
  ASSERT_GT(run, 0);
  auto done = a.wait_run(run, "succeeded");
  EXPECT_EQ(done.at("sha").as_string(), sha);
  // In PostgreSQL, with the node that ran it; and still there for a daemon started afresh.
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE id = " + std::to_string(run) +
                  " AND state = 'succeeded' AND node = 'a'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM deliveries WHERE delivery_id = 'first'"), 1);
  EXPECT_EQ(a.stop(), 0);
  EXPECT_FALSE(fs::exists(a.home() / "data/juanie.db")) << "no SQLite file beside PostgreSQL";
  ASSERT_TRUE(a.start()) << a.log();
  auto again = a.api("/api/v1/runs/" + std::to_string(run));
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("\"succeeded\""), std::string::npos) << again.body;
  // A redelivery to the restarted node is the same run.
  EXPECT_EQ(push(a, "develop", sha, "first"), run);
}

TEST_F(ClusterTest, ThreeNodesRunEveryAcknowledgedDeliveryOnceWhereverItArrived) {
  Daemon& a = node("a");
  Daemon& b = node("b");
  Daemon& c = node("c");
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(b.start()) << b.log();
  ASSERT_TRUE(c.start()) << c.log();
  // 300 branches at one commit: 300 runs (each ref its own), each delivered twice — the second
  // time to another node, as a forge retrying through a load balancer would — 600 webhooks
  // from six clients at once.
  constexpr int kBranches = 300;
  const std::string sha = commit("steps:\n  - {name: ok, commands: [\"true\"]}\n", kBranches);
  std::vector<Daemon*> all{&a, &b, &c};
  std::mutex mutex;
  std::map<std::string, std::set<std::int64_t>> answers;  // delivery → the runs it was told
  int refused = 0;
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      for (int i = t; i < 2 * kBranches; i += 6) {
        const int branch = i % kBranches;
        const std::string delivery = "d" + std::to_string(branch);
        Daemon& to = *all[(branch + (i >= kBranches ? 1 : 0)) % 3];
        const auto run = push(to, "b" + std::to_string(branch), sha, delivery);
        std::lock_guard lock(mutex);
        if (run > 0) {
          answers[delivery].insert(run);
        } else {
          ++refused;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(refused, 0);
  ASSERT_EQ(answers.size(), static_cast<std::size_t>(kBranches));
  std::set<std::int64_t> runs;
  for (const auto& [delivery, told] : answers) {
    EXPECT_EQ(told.size(), 1U) << delivery << " was answered with different runs";
    runs.insert(*told.begin());
  }
  EXPECT_EQ(runs.size(), static_cast<std::size_t>(kBranches));
  for (const auto run : runs) {
    auto ended = a.wait_run(run, "succeeded", std::chrono::seconds(300));
    if (ended.at("state").as_string() != "succeeded") break;
  }
  EXPECT_EQ(count("SELECT count(*) FROM runs"), kBranches);
  EXPECT_EQ(count("SELECT count(*) FROM deliveries"), kBranches);
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE state = 'succeeded' AND interruptions = 0"),
            kBranches);
  // Executed once each, by one node: every run started exactly once across the three logs.
  const auto started = starts();
  EXPECT_EQ(started.size(), static_cast<std::size_t>(kBranches));
  for (const auto& [run, n] : started) EXPECT_EQ(n, 1) << "run " << run << " started " << n;
  // Which node ran how many: told, not asserted — under load one node can lose every race for
  // the project's claim lock (a fairness question, not one of correctness: see the README).
  for (const char* name : {"a", "b", "c"}) {
    ::testing::Test::RecordProperty(
        std::string("runs_on_") + name,
        static_cast<int>(
            count(std::string("SELECT count(*) FROM runs WHERE node = '") + name + "'")));
  }
}

// Fairness: pushes arrive at a, which is woken at once and has room for all of them; b and c
// are idle and asking. A busier node leaves new runs to a less busy one that asks, so the runs
// spread instead of a taking four at once (store/pg_claims.hpp).
TEST_F(ClusterTest, RunsSpreadOverIdleNodesInsteadOfFillingTheOneThatGotThePushes) {
  const std::string limits = "limits: {concurrent_runs: 4, runs_per_project: 6}\n";
  Daemon& a = node("a", limits);
  Daemon& b = node("b", limits);
  Daemon& c = node("c", limits);
  for (Daemon* d : {&a, &b, &c}) ASSERT_TRUE(d->start()) << d->log();
  // Both have asked at least once, as idle nodes do every second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string sha = commit("steps:\n  - {name: build, commands: [\"sleep 6\"]}\n", 6);
  std::vector<std::int64_t> runs;
  for (int i = 0; i < 6; ++i) {
    runs.push_back(push(a, "b" + std::to_string(i), sha, "fair" + std::to_string(i)));
    ASSERT_GT(runs.back(), 0);
  }
  for (const auto run : runs) a.wait_run(run, "succeeded", std::chrono::seconds(120));
  std::map<std::string, long long> ran;
  for (const char* name : {"a", "b", "c"}) {
    ran[name] = count(std::string("SELECT count(*) FROM runs WHERE node = '") + name +
                      "' AND state = 'succeeded'");
  }
  EXPECT_EQ(ran["a"] + ran["b"] + ran["c"], 6);
  // Without it a takes four at once (its room), the others one each.
  EXPECT_LE(ran["a"], 3) << "a " << ran["a"] << ", b " << ran["b"] << ", c " << ran["c"];
  EXPECT_GE(ran["b"], 1);
  EXPECT_GE(ran["c"], 1);
}

TEST_F(ClusterTest, RunsOfANodeKilledMidwayFinishOnTheOthersAfterItsLease) {
  Daemon& a = node("a", "limits: {concurrent_runs: 2}\n", "3s");
  ASSERT_TRUE(a.start()) << a.log();
  const std::string sha = commit("steps:\n  - {name: slow, commands: [\"sleep 4\"]}\n", 2);
  const auto first = push(a, "b0", sha, "k0");
  const auto second = push(a, "b1", sha, "k1");
  ASSERT_GT(first, 0);
  ASSERT_GT(second, 0);
  a.wait_run(first, "running");
  a.wait_run(second, "running");
  Daemon& b = node("b", "", "3s");
  Daemon& c = node("c", "", "3s");
  ASSERT_TRUE(b.start()) << b.log();
  ASSERT_TRUE(c.start()) << c.log();
  // Its steps die with it (bwrap --die-with-parent), as they would with its machine.
  a.kill9();
  auto one = b.wait_run(first, "succeeded");
  auto two = b.wait_run(second, "succeeded");
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE node IN ('b', 'c') AND state = 'succeeded' "
                  "AND interruptions = 1"),
            2)
      << json::serialize(one) << json::serialize(two);
  EXPECT_EQ(count("SELECT count(*) FROM runs"), 2) << "no run was made twice";
  EXPECT_TRUE(b.log().find("lease passed; queued again") != std::string::npos ||
              c.log().find("lease passed; queued again") != std::string::npos)
      << b.log() << c.log();
  // Started on a, then once more elsewhere: twice each, never more.
  for (const auto& [run, n] : starts()) EXPECT_EQ(n, 2) << "run " << run;
}

// The labels a pipeline asks for are known only once its file is read (after the claim): the
// node that claimed it without them hands it back, asking for them, and only a node that has
// them takes it next.
TEST_F(ClusterTest, ARunAskingForLabelsRunsOnlyOnANodeThatHasThem) {
  // b has joined the cluster (its labels are known) but is down for now: a takes the run.
  Daemon& b = node("b");
  ASSERT_TRUE(b.start()) << b.log();
  EXPECT_EQ(b.stop(), 0);
  Daemon& a = node("a");
  ASSERT_TRUE(a.start()) << a.log();
  const std::string sha = commit(
      "runs_on: [linux]\nsteps:\n  - {name: ok, commands: [\"true\"]}\n"
      "  - {name: arm, commands: [\"echo on b\"], runs_on: [b-label]}\n");
  const auto run = push(a, "develop", sha, "labelled");
  ASSERT_GT(run, 0);
  ASSERT_TRUE(
      a.wait_for_log("run " + std::to_string(run) +
                     " needs a node with linux, b-label (runs_on); handed back to the queue"))
      << a.log();
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE id = " + std::to_string(run) +
                  " AND state = 'queued' AND node IS NULL AND runs_on = '{linux,b-label}'"),
            1);
  ASSERT_TRUE(b.start()) << b.log();
  auto done = b.wait_run(run, "succeeded");
  EXPECT_EQ(done.at("state").as_string(), "succeeded") << b.log();
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE id = " + std::to_string(run) +
                  " AND state = 'succeeded' AND node = 'b'"),
            1);
  const auto log = b.api("/api/v1/runs/" + std::to_string(run) + "/log").body;
  EXPECT_NE(log.find("on b"), std::string::npos) << log;
}

TEST_F(ClusterTest, ARunAskingForLabelsNoNodeHasFailsSayingWhich) {
  Daemon& a = node("a");
  ASSERT_TRUE(a.start()) << a.log();
  const std::string sha = commit("runs_on: [gpu]\nsteps:\n  - {name: ok, commands: [\"true\"]}\n");
  const auto run = push(a, "develop", sha, "nobody");
  ASSERT_GT(run, 0);
  auto failed = a.wait_run(run, "failed");
  EXPECT_EQ(failed.at("reason").as_string(),
            "no build node has all the labels gpu the pipeline asks for (runs_on); add them to a "
            "node's node.labels");
}

// A production deployment across three nodes: the push arrives at a, the build runs wherever
// it is claimed, the trigger is asked of b, the approval link minted on a is honoured on c and
// refused on a afterwards, and prod gets one GitOps commit.
TEST_F(ClusterTest, AnApprovalLinkMintedOnOneNodeIsHonouredOnAnotherOnce) {
  Registry registry(shared_.path() / "registry");
  const std::string image = registry.host() + "/acme/app";
  const auto base = ensure_busybox_image();
  const fs::path gitops = shared_.path() / "gitops.git";
  PushedRepository(shared_, "gitops", "main")
      .commit({{"overlays/prod/kustomization.yaml",
                "resources:\n  - ../../base\nimages:\n  - name: " + image + "\n    newTag: old\n"},
               {"base/kustomization.yaml", "resources: []\n"}},
              "init", "Ops <ops@example.com>");
  const std::string project =
      "name: app\nrepo: {url: " + (shared_.path() / "app.git").string() +
      ", forge: github, webhook_secret: app.webhook}\nimage: " + image +
      "\nregistry: {tls_verify: false}\ngitops: {url: " + gitops.string() +
      ", branch: main}\nenvironments:\n  prod: {approvers: [alice, bob], required_approvals: 1}\n"
      "approvers:\n  alice: {email: alice@example.com}\n  bob: {email: bob@example.com}\n"
      "branches: [{match: main, environment: prod, trigger: manual}]\n";
  std::vector<Daemon*> all;
  for (const char* name : {"a", "b", "c"}) {
    Daemon& n = node(name);
    n.home().write("projects.d/app.yaml", project);
    ASSERT_TRUE(n.start()) << n.log();
    all.push_back(&n);
  }
  Daemon& a = *all[0];
  Daemon& b = *all[1];
  Daemon& c = *all[2];
  shared_.write("work/Dockerfile", "FROM " + base + "\nCOPY VERSION /VERSION\n");
  const std::string sha = commit(
      "steps:\n  - {name: test, commands: [\"test -f VERSION\"]}\n"
      "image: {dockerfile: Dockerfile, context: .}\n");
  sh("git -C " + (shared_.path() / "work").string() + " push -q origin HEAD:refs/heads/main");
  // alice pushes (push_body's pusher) and cannot approve her own change: bob's link.
  const std::string body = push_body("refs/heads/main", sha);
  auto pushed = a.request("POST", "/hooks/github/app", body, github_headers(body, "prod-1"));
  ASSERT_EQ(pushed.status, 202) << pushed.body;
  const auto run = json::parse(pushed.body).at("run").as_int64();
  const auto pending = a.wait_deployment(run, "pending");
  ASSERT_FALSE(pending.empty()) << a.log() << b.log() << c.log();
  const auto id = pending.at("id").as_int64();
  const std::string deployment = "/api/v1/deployments/" + std::to_string(id);

  auto triggered = b.api_post(deployment + "/trigger");
  ASSERT_EQ(triggered.status, 202) << triggered.body;
  int status = -1;
  std::string link =
      sh(std::string(JUANIE_BINARY) + " approval-link --config " +
             (a.home() / "juanie.yaml").string() + " " + std::to_string(id) + " bob 2>&1",
         &status);
  ASSERT_EQ(status, 0) << link;
  link.pop_back();
  const std::string path = link.substr(link.find("/approve/"));
  auto page = c.request("GET", path);
  ASSERT_EQ(page.status, 200) << page.body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page.body, m, std::regex(R"re(name="csrf" value="([^"]+)")re")));
  const std::string form = "csrf=" + m[1].str() + "&decision=approve&comment=";
  const std::vector<std::pair<std::string, std::string>> kForm{
      {"Content-Type", "application/x-www-form-urlencoded"}};
  auto approved = c.request("POST", path, form, kForm);
  EXPECT_EQ(approved.status, 200) << approved.body;
  auto again = a.request("POST", path, form, kForm);
  EXPECT_EQ(again.status, 409) << "a link works once, whichever node is asked: " << again.body;

  auto done = b.wait_deployment(run, "success");
  ASSERT_FALSE(done.empty()) << a.log() << b.log() << c.log();
  // One prod commit after init, naming the run's image.
  const auto subjects = sh("git -C " + gitops.string() + " log --format=%s main");
  EXPECT_EQ(std::count(subjects.begin(), subjects.end(), '\n'), 2) << subjects;
  EXPECT_NE(sh("git -C " + gitops.string() + " show main:overlays/prod/kustomization.yaml")
                .find("newTag: " + sha.substr(0, 12)),
            std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM approvals WHERE deployment_id = " + std::to_string(id)), 1);
}

TEST_F(ClusterTest, ACancelAskedOnAnotherNodeStopsTheRunWhereItRuns) {
  Daemon& a = node("a");
  Daemon& b = node("b", "limits: {concurrent_runs: 0}\n");  // takes requests, runs nothing
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(b.start()) << b.log();
  const std::string sha = commit("steps:\n  - {name: long, commands: [\"sleep 300\"]}\n");
  const auto run = push(b, "develop", sha, "long");
  ASSERT_GT(run, 0);
  b.wait_run(run, "running");
  auto asked = b.api_post("/api/v1/runs/" + std::to_string(run) + "/cancel");
  EXPECT_EQ(asked.status, 202) << asked.body;
  EXPECT_NE(asked.body.find("cancelling"), std::string::npos) << asked.body;
  auto ended = b.wait_run(run, "cancelled", std::chrono::seconds(60));
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE node = 'a' AND state = 'cancelled'"), 1)
      << json::serialize(ended);
}

// Step logs go into PostgreSQL as the step writes them: a node that did not run the run
// follows its log live and serves it whole, also once the node that ran it is gone.
TEST_F(ClusterTest, AStepLogIsFollowedOnAnotherNodeAndOutlivesTheNodeThatRanIt) {
  using namespace std::chrono_literals;
  Daemon& a = node("a", "limits: {log_max: 64KiB}\n");
  Daemon& b = node("b", "limits: {concurrent_runs: 0}\n");  // serves, runs nothing
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(b.start()) << b.log();
  // The second step writes past log_max (100,000 lines): what is stored is the capped log.
  const std::string sha = commit(
      "steps:\n"
      "  - {name: talk, commands: [\"echo first line\", \"sleep 4\", \"printf 'last "
      "\\\\303\\\\251\\\\n'\"]}\n"
      "  - {name: flood, commands: [\"seq 1 100000\"]}\n");
  const auto run = push(b, "develop", sha, "logs");
  ASSERT_GT(run, 0);
  const std::string id = std::to_string(run);
  RawConnection follow(b.port());
  ASSERT_TRUE(follow.send("GET /api/v1/runs/" + id +
                          "/log?follow=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                          kApiToken + "\r\n\r\n"));
  const std::string early = follow.read_until("first line\n", 30s);
  ASSERT_NE(early.find("first line\n"), std::string::npos) << early << a.log() << b.log();
  // Live: it came from a, through the store, while the step still ran there.
  EXPECT_EQ(json::parse(b.api("/api/v1/runs/" + id).body).at("state").as_string(), "running");
  const std::string all = follow.read_until("── run " + id + " succeeded", 60s);
  EXPECT_NE(all.find("last \xc3\xa9\n"), std::string::npos) << all;  // bytes as written
  EXPECT_NE(all.find("── talk succeeded"), std::string::npos) << all;
  EXPECT_LT(all.find("last \xc3\xa9"), all.find("── flood"));
  EXPECT_TRUE(follow.closed_by_peer(5s));
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE id = " + id + " AND node = 'a'"), 1);

  // The node that ran it dies; its files go with it, the store keeps the log.
  a.kill9();
  fs::remove_all(a.home() / "data/logs");
  const auto text = b.api("/api/v1/runs/" + id + "/log");
  ASSERT_EQ(text.status, 200);
  EXPECT_NE(text.body.find("── talk (succeeded)\n+ echo first line\nfirst line\n"),
            std::string::npos)
      << text.body;
  EXPECT_NE(text.body.find("\nlast \xc3\xa9\n── flood"), std::string::npos) << text.body;
  EXPECT_NE(text.body.find("\n1\n2\n3\n"), std::string::npos) << text.body;
  EXPECT_EQ(text.body.find("\n99999\n"), std::string::npos) << "log_max caps what is stored";
  EXPECT_LE(count("SELECT sum(length(bytes)) FROM step_log_chunks WHERE run_id = " + id),
            64 * 1024 + 200);
  EXPECT_EQ(count("SELECT count(*) FROM step_log_chunks WHERE run_id = " + id +
                  " AND length(bytes) > 65536"),
            0);
}

TEST_F(ClusterTest, OneNodeIsOnDutyAndAnotherTakesOverWhenItDies) {
  Daemon& a = node("a");
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(a.wait_for_log("node a is on duty")) << a.log();
  Daemon& b = node("b");
  ASSERT_TRUE(b.start()) << b.log();
  EXPECT_TRUE(b.wait_for_log("store: postgresql, shared as node b"));
  EXPECT_EQ(b.log().find("is on duty"), std::string::npos) << b.log();
  a.kill9();
  EXPECT_TRUE(b.wait_for_log("node b is on duty")) << b.log();
}

TEST_F(ClusterTest, EveryNodeListsTheNodesWithTheirLabelsAndHeartbeats) {
  Daemon& a = node("a");
  Daemon& b = node("b", "limits: {concurrent_runs: 3}\n");
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(b.start()) << b.log();
  for (Daemon* d : {&a, &b}) {
    auto r = d->api("/api/v1/nodes");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto nodes = json::parse(r.body).at("nodes").as_array();
    ASSERT_EQ(nodes.size(), 2U) << r.body;
    EXPECT_EQ(nodes[0].at("name").as_string(), "a");
    EXPECT_EQ(nodes[1].at("name").as_string(), "b");
    EXPECT_EQ(nodes[1].at("capacity").as_int64(), 3);
    EXPECT_EQ(json::serialize(nodes[0].at("labels")), R"(["linux","a-label"])");
    EXPECT_TRUE(nodes[0].at("alive").as_bool());
    EXPECT_EQ(nodes[0].at("running").as_int64(), 0);
    EXPECT_FALSE(nodes[0].at("last_heartbeat").as_string().empty());
  }
  // Unauthenticated: refused, as the rest of the API.
  EXPECT_EQ(a.request("GET", "/api/v1/nodes").status, 401);
  // Each node's metrics say which node they are from, every series of them.
  for (auto [d, name] : {std::pair{&a, "a"}, std::pair{&b, "b"}}) {
    const auto scrape = d->request("GET", "/metrics").body;
    std::istringstream lines(scrape);
    int series = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line[0] == '#') continue;
      ++series;
      EXPECT_NE(line.find(std::string("node=\"") + name + "\""), std::string::npos) << line;
    }
    EXPECT_GT(series, 20) << scrape;
  }
}

// A node that outgrows itself: its SQLite history moves into PostgreSQL with its ids, and the
// node goes on from there on the shared store.
TEST_F(ClusterTest, StoreMigrateMovesASingleNodesHistoryIntoAnEmptyStore) {
  Daemon& d = solo();
  ASSERT_TRUE(d.start()) << d.log();
  const std::string good = commit("steps:\n  - {name: ok, commands: [\"echo moved\"]}\n");
  const auto first = push(d, "develop", good, "m1");
  ASSERT_GT(first, 0);
  d.wait_run(first, "succeeded");
  const std::string bad = commit("steps:\n  - {name: no, commands: [\"exit 3\"]}\n");
  const auto second = push(d, "develop", bad, "m2");
  ASSERT_GT(second, 0);
  d.wait_run(second, "failed");
  const fs::path config = d.home() / "juanie.yaml";
  d.home().write("juanie.yaml", read_file(config) +
                                    "store: {backend: postgresql, url_file: pg.url}\n"
                                    "node: {name: solo}\n");
  const std::string db = (d.home() / "data/juanie.db").string();
  const std::string migrate = std::string(JUANIE_BINARY) + " store migrate --config " +
                              config.string() + " --from sqlite:" + db + " --to postgresql 2>&1";
  // While the node runs, its file is not copied: deliveries it takes would be lost.
  int status = -1;
  const auto running = sh(migrate, &status);
  EXPECT_EQ(status, 1) << running;
  EXPECT_NE(running.find("juanie is running on " + (d.home() / "data").string() + " (pid "),
            std::string::npos)
      << running;
  EXPECT_EQ(d.stop(), 0);
  // The project reports statuses (as with repo.api_url), and the first run deployed (rows as
  // the daemon writes them): copied rows must not queue new statuses.
  sh("sqlite3 " + db +
         " \"INSERT INTO status_projects (name) VALUES ('app'); INSERT INTO deployments (run_id, "
         "project, environment, state, image, tag, created_at) VALUES (" +
         std::to_string(first) +
         ", 'app', 'dev', 'success', 'registry.example/app', 'v1', "
         "'2026-12-01T00:00:00Z')\"",
     &status);
  ASSERT_EQ(status, 0);
  const auto outbox = count_rows(db, "SELECT count(*) FROM outbox");

  const auto said = sh(migrate, &status);
  ASSERT_EQ(status, 0) << said;
  EXPECT_NE(said.find("runs: 2\n"), std::string::npos) << said;
  EXPECT_NE(said.find("deliveries: 2\n"), std::string::npos) << said;
  EXPECT_NE(said.find("into PostgreSQL, with 2 step log(s) of "), std::string::npos) << said;
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE id = " + std::to_string(first) +
                  " AND state = 'succeeded' AND sha = '" + good + "'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM steps WHERE run_id = " + std::to_string(second) +
                  " AND state = 'failed' AND exit_code = 3"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM outbox"), outbox) << "history is not news";

  // Once is all: a store that holds a history is refused, and left as it was.
  const auto again = sh(migrate, &status);
  EXPECT_EQ(status, 1) << again;
  EXPECT_NE(again.find("already holds a history"), std::string::npos) << again;
  EXPECT_EQ(count("SELECT count(*) FROM runs"), 2);

  // The node, now on PostgreSQL, serves the old runs, knows the old deliveries, and numbers new
  // runs after them.
  ASSERT_TRUE(d.start()) << d.log();
  auto old = d.api("/api/v1/runs/" + std::to_string(first));
  EXPECT_EQ(old.status, 200);
  EXPECT_NE(old.body.find("\"succeeded\""), std::string::npos) << old.body;
  // Its step logs came along into the store, where any node reads them.
  fs::remove_all(d.home() / "data/logs");
  const auto log = d.api("/api/v1/runs/" + std::to_string(first) + "/log");
  EXPECT_NE(log.body.find("── ok (succeeded)\n+ echo moved\nmoved\n"), std::string::npos)
      << log.body;
  EXPECT_EQ(push(d, "develop", good, "m1"), first) << "a redelivery is the run it was";
  const auto third =
      push(d, "develop", commit("steps:\n  - {name: ok, commands: [\"true\"]}\n"), "m3");
  EXPECT_EQ(third, std::max(first, second) + 1);
  EXPECT_EQ(d.wait_run(third, "succeeded").at("state").as_string(), "succeeded") << d.log();
}

TEST_F(ClusterTest, StoreMigrateRefusesWhatItCannotMoveAndChangesNothing) {
  Daemon& d = solo();
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.stop(), 0);
  const fs::path config = d.home() / "juanie.yaml";
  const std::string db = (d.home() / "data/juanie.db").string();
  sh("cp " + db + " " + db + ".current");
  const std::string juanie = std::string(JUANIE_BINARY) + " store migrate ";
  int status = -1;
  // Not the command's shape: the usage, exit 2.
  for (const std::string& args :
       {"--config " + config.string() + " --from " + db + " --to postgresql",
        "--config " + config.string() + " --from sqlite:" + db + " --to mysql",
        "--from sqlite:" + db + " --to postgresql"}) {
    const auto out = sh(juanie + args + " 2>&1", &status);
    EXPECT_EQ(status, 2) << args;
    EXPECT_NE(out.find("usage: juanie store migrate"), std::string::npos) << out;
  }
  // A configuration on SQLite names no PostgreSQL store to move to.
  auto out =
      sh(juanie + "--config " + config.string() + " --from sqlite:" + db + " --to postgresql 2>&1",
         &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("does not name a PostgreSQL store"), std::string::npos) << out;
  d.home().write("juanie.yaml", read_file(config) +
                                    "store: {backend: postgresql, url_file: pg.url}\n"
                                    "node: {name: solo}\n");
  out = sh(juanie + "--config " + config.string() + " --from sqlite:" + db + "-missing" +
               " --to postgresql 2>&1",
           &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("juanie.db-missing is not a SQLite store"), std::string::npos) << out;
  // A store at an older schema version is not copied half-understood.
  sh("sqlite3 " + db + " 'PRAGMA user_version = 3'", &status);
  out =
      sh(juanie + "--config " + config.string() + " --from sqlite:" + db + " --to postgresql 2>&1",
         &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("the SQLite store is at schema version 3"), std::string::npos) << out;
  EXPECT_EQ(count("SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'"), 0)
      << "nothing was made";
  // A PostgreSQL store at another version (a live store of older nodes, say) is not upgraded.
  ASSERT_TRUE(this->db().exec_script(
      "CREATE TABLE juanie_schema (one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one), version "
      "INTEGER NOT NULL); INSERT INTO juanie_schema (version) VALUES (16)"));
  out = sh(juanie + "--config " + config.string() + " --from sqlite:" + db +
               ".current --to postgresql 2>&1",
           &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("the PostgreSQL store is at schema version 16 and this juanie writes"),
            std::string::npos)
      << out;
  EXPECT_EQ(count("SELECT version FROM juanie_schema"), 16);
}

TEST_F(ClusterTest, AStoreItCannotReachIsAClearErrorAtStart) {
  Daemon& a = node("a");
  a.home().write("secrets/pg.url", "postgresql://juanie@127.0.0.1:1/nothing?sslmode=disable\n");
  EXPECT_FALSE(a.start());
  EXPECT_NE(a.log().find("store (postgresql, store.url_file pg.url)"), std::string::npos)
      << a.log();
  EXPECT_EQ(a.log().find("127.0.0.1:1/nothing"), std::string::npos)
      << "the URI (it may hold a password) is never logged";
}

}  // namespace
}  // namespace juanie::test
