// Pull and merge request pipelines through the real daemon: a bare repository whose pull
// request heads live only under the forge's refs (refs/pull/N/head, refs/merge-requests/N/head),
// deliveries built from each forge's documented example payloads and signed as each signs.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "integration/daemon_fixture.hpp"
#include "integration/pull_request_bodies.hpp"
#include "support/processes.hpp"
#include "support/shell.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Steps that check what a pull request run is told, and fail if it is told otherwise.
const std::string kCheckVariables =
    "  - name: variables\n"
    "    commands:\n"
    "      - test \"$JUANIE_EVENT\" = pull_request\n"
    "      - test \"$JUANIE_PR\" = \"$EXPECT_PR\"\n"
    "      - test \"$JUANIE_SOURCE_BRANCH\" = \"$EXPECT_SOURCE\"\n"
    "      - test \"$JUANIE_TARGET_BRANCH\" = \"$EXPECT_TARGET\"\n"
    "      - test \"$JUANIE_BRANCH\" = \"$EXPECT_SOURCE\"\n"
    "      - test -n \"$JUANIE_PR_TITLE\"\n"
    "      - test -z \"$JUANIE_ENVIRONMENT\"\n"
    "      - cat VERSION\n";

class PullRequestTest : public ::testing::Test {
 protected:
  explicit PullRequestTest(const std::string& extra_config = "") : d(extra_config, true) {}

  void SetUp() override {
    d.home().write("secrets/app.webhook", kGithubSecret);
    d.home().write("secrets/app-gl.webhook", kGitlabSecret);
    d.home().write("secrets/app-gt.webhook", kGiteaSecret);
    d.home().write("secrets/app.token", "app-token-value-123");
    d.home().write("secrets/public.token", "public-token-value-456");
    d.home().write("secrets/hook.url", "http://127.0.0.1:9/team-channel");
    const std::string url = (d.home() / "app.git").string();
    // Every branch maps to an environment and the project has an image: a push would build
    // and deploy; a pull request run must do neither.
    const std::string common =
        "branches: [{match: \"*\", environment: dev}]\n"
        "image: 127.0.0.1:9/never/pushed\n"
        "secrets:\n"
        "  APP_TOKEN: app.token\n"
        "  PUBLIC_TOKEN: {file: public.token, forks: true}\n"
        "notifications:\n  - {type: webhook, url: hook.url}\n";
    d.home().write("projects.d/app.yaml", "name: app\nrepo: {url: " + url +
                                              ", forge: github, webhook_secret: app.webhook}\n" +
                                              common);
    d.home().write("projects.d/app-gl.yaml",
                   "name: app-gl\nrepo: {url: " + url +
                       ", forge: gitlab, webhook_secret: app-gl.webhook}\n" + common);
    d.home().write("projects.d/app-gt.yaml",
                   "name: app-gt\nrepo: {url: " + url +
                       ", forge: gitea, webhook_secret: app-gt.webhook}\n" + common);
    ASSERT_TRUE(d.start()) << d.log();
  }

  // A commit pushed only to `ref` (refs/pull/N/head): no branch holds it, as on a forge where
  // the head lives in a fork. Returns its id.
  std::string commit_to(const std::string& ref, const std::string& pipeline) {
    const std::string work = (d.home() / "work").string();
    const std::string bare = (d.home() / "app.git").string();
    if (!fs::exists(bare)) {
      sh("git init -q --bare -b main " + bare + " && git init -q -b main " + work + " && git -C " +
         work + " remote add origin " + bare + " && git -C " + work +
         " -c user.email=dev@example.com -c user.name=Dev commit -q --allow-empty -m base && " +
         "git -C " + work + " push -q origin main");
    }
    sh("git -C " + work + " checkout -q -f -B topic-" + std::to_string(++commits_) + " main");
    d.home().write("work/.juanie.yml", pipeline);
    d.home().write("work/VERSION", std::to_string(commits_) + "\n");
    sh("git -C " + work + " add -A && git -C " + work +
       " -c user.email=dev@example.com -c user.name=Dev commit -qm change && git -C " + work +
       " push -q -f origin HEAD:" + ref);
    std::string sha = sh("git -C " + work + " rev-parse HEAD");
    sha.pop_back();
    return sha;
  }

  std::string pipeline(int pr, const std::string& source, const std::string& target,
                       const std::string& more = "") {
    return "steps:\n" + kCheckVariables + "    env: {EXPECT_PR: \"" + std::to_string(pr) +
           "\", EXPECT_SOURCE: " + source + ", EXPECT_TARGET: " + target + "}\n" + more +
           "image: {dockerfile: Dockerfile}\n";
  }

  // GitHub's documented example with this number, head and action (and a fork's head repo).
  static std::string github_body(int number, const std::string& sha, const std::string& action,
                                 bool fork = false) {
    return pull_request_delivery("github", {number, sha, action, fork}, "").body;
  }

  json::object post_github(const std::string& body, const std::string& delivery, int expect = 202) {
    auto r = d.request("POST", "/hooks/github/app", body,
                       github_headers(body, delivery, "pull_request"));
    EXPECT_EQ(r.status, expect) << r.body;
    return r.status == expect ? json::parse(r.body).as_object() : json::object{};
  }

  json::object run(std::int64_t id) {
    auto r = d.api("/api/v1/runs/" + std::to_string(id));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).as_object();
  }

  json::object wait_for(std::int64_t id, const std::string& state) {
    json::object last;
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (std::chrono::steady_clock::now() < deadline) {
      last = run(id);
      const std::string s(last.at("state").as_string());
      if (s == state) return last;
      if (s == "succeeded" || s == "failed" || s == "cancelled") break;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "run " << id << " did not become " << state << ": " << json::serialize(last)
                  << "\n"
                  << d.log();
    return last;
  }

  // Until the first step of `id` is running (its process started).
  void wait_step_running(std::int64_t id) {
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = run(id);
      const auto& steps = r.at("steps").as_array();
      if (!steps.empty() && steps[0].at("state").as_string() == "running") return;
      if (r.at("state").as_string() != "queued" && r.at("state").as_string() != "running") break;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "run " << id << " never ran its first step\n" << d.log();
  }

  static std::string step_reason(const json::object& run, const std::string& name) {
    for (const auto& s : run.at("steps").as_array()) {
      if (s.at("name").as_string() == name) {
        return s.at("reason").is_null() ? "" : std::string(s.at("reason").as_string());
      }
    }
    return "<no step " + name + ">";
  }

  Daemon d;
  int commits_ = 0;
};

TEST_F(PullRequestTest, GithubPullRequestRunsItsHeadWithItsFieldsAndNeverDeploys) {
  const std::string sha = commit_to(
      "refs/pull/7/head",
      pipeline(7, "changes", "master",
               "  - {name: same-repo-secret, commands: [\"test \\\"$APP_TOKEN\\\" = "
               "app-token-value-123\"], secrets: [APP_TOKEN]}\n"
               "  - {name: push-only, commands: [\"false\"], when: {event: push}}\n"
               "  - {name: into-master, commands: [\"true\"], when: {target_branch: master}}\n"
               "  - {name: into-release, commands: [\"false\"], when: {target_branch: "
               "\"release/*\"}}\n"));
  auto answer = post_github(github_body(7, sha, "opened"), "gh-pr-7-opened");
  EXPECT_TRUE(answer.at("environment").is_null());
  EXPECT_EQ(answer.at("pull_request").as_int64(), 7);
  const auto id = answer.at("run").as_int64();
  auto done = wait_for(id, "succeeded");
  EXPECT_EQ(done.at("event").as_string(), "pull_request");
  EXPECT_EQ(done.at("ref").as_string(), "refs/pull/7/head");
  EXPECT_EQ(done.at("branch").as_string(), "changes");
  EXPECT_EQ(done.at("sha").as_string(), sha);
  EXPECT_TRUE(done.at("environment").is_null());
  EXPECT_TRUE(done.at("deployment").is_null());
  const auto& pr = done.at("pull_request").as_object();
  EXPECT_EQ(pr.at("number").as_int64(), 7);
  EXPECT_EQ(pr.at("title").as_string(), "Update the README with new information.");
  EXPECT_EQ(pr.at("source_branch").as_string(), "changes");
  EXPECT_EQ(pr.at("target_branch").as_string(), "master");
  EXPECT_EQ(pr.at("fork").as_bool(), false);
  EXPECT_EQ(pr.at("deploys").as_bool(), false);
  EXPECT_EQ(step_reason(done, "push-only"), "when.event does not include pull_request");
  EXPECT_EQ(step_reason(done, "into-release"), "when.target_branch does not match master");
  EXPECT_EQ(step_reason(done, "image"),
            "a pull request run never builds or pushes a deployable image, nor deploys");
  EXPECT_EQ(count_rows((d.home() / "data/juanie.db").string(), "SELECT count(*) FROM deployments"),
            0);
  // The same delivery again is the same run.
  auto again = post_github(github_body(7, sha, "opened"), "gh-pr-7-opened", 200);
  EXPECT_EQ(again.at("run").as_int64(), id);
}

TEST_F(PullRequestTest, AForkPullRequestGetsOnlyTheSecretsOpenedToForks) {
  const std::string sha =
      commit_to("refs/pull/8/head",
                pipeline(8, "changes", "master",
                         "  - {name: public, commands: [\"test \\\"$PUBLIC_TOKEN\\\" = "
                         "public-token-value-456\"], secrets: [PUBLIC_TOKEN]}\n"
                         "  - {name: private, commands: [\"echo leaked $APP_TOKEN\"], secrets: "
                         "[APP_TOKEN]}\n"));
  const auto id =
      post_github(github_body(8, sha, "synchronize", true), "gh-pr-8-sync").at("run").as_int64();
  auto done = wait_for(id, "failed");
  EXPECT_EQ(done.at("pull_request").at("fork").as_bool(), true);
  EXPECT_EQ(step_reason(done, "public"), "");
  EXPECT_EQ(step_reason(done, "private"),
            "secret APP_TOKEN is withheld from pull requests from forks");
  EXPECT_NE(
      std::string(done.at("reason").as_string()).find("withheld from pull requests from forks"),
      std::string::npos);
  EXPECT_EQ(d.log().find("app-token-value-123"), std::string::npos);
  // A stranger's failure is told on its commit, not in the team's channels.
  EXPECT_EQ(count_rows((d.home() / "data/juanie.db").string(),
                       "SELECT count(*) FROM outbox WHERE event = 'run_failed'"),
            0);

  // Nor a network.
  const std::string net = commit_to(
      "refs/pull/9/head", pipeline(9, "changes", "master",
                                   "  - {name: online, commands: [\"true\"], network: true}\n"));
  const auto net_run =
      post_github(github_body(9, net, "synchronize", true), "gh-pr-9-sync").at("run").as_int64();
  auto refused = wait_for(net_run, "failed");
  EXPECT_EQ(step_reason(refused, "online"),
            "the network is withheld from pull requests from forks (pull_requests.fork_network)");
}

TEST_F(PullRequestTest, ASynchronizeSupersedesTheRunningRunAndClosedCancels) {
  const std::string slow = "  - {name: slow, commands: [\"sleep 120\"]}\n";
  const std::string first = commit_to("refs/pull/11/head", "steps:\n" + slow);
  const auto older =
      post_github(github_body(11, first, "opened"), "gh-pr-11-opened").at("run").as_int64();
  wait_step_running(older);
  const std::string second = commit_to("refs/pull/11/head", pipeline(11, "changes", "master"));
  const auto newer =
      post_github(github_body(11, second, "synchronize"), "gh-pr-11-sync").at("run").as_int64();
  EXPECT_NE(newer, older);
  wait_for(older, "cancelled");
  wait_for(newer, "succeeded");

  // Closing cancels what runs.
  const std::string third = commit_to("refs/pull/12/head", "steps:\n" + slow);
  const auto open =
      post_github(github_body(12, third, "opened"), "gh-pr-12-opened").at("run").as_int64();
  wait_step_running(open);
  auto closed = post_github(github_body(12, third, "closed"), "gh-pr-12-closed", 200);
  EXPECT_EQ(closed.at("ignored").as_string(),
            "pull request #12 was closed: its runs are cancelled");
  wait_for(open, "cancelled");
}

TEST_F(PullRequestTest, GitlabMergeRequestAndGiteaPullRequestRunTheirHeads) {
  const std::string mr =
      commit_to("refs/merge-requests/3/head", pipeline(3, "ms-viewport", "master"));
  auto gl_delivery = pull_request_delivery("gitlab", {3, mr, "update", true}, "gl-mr-3");
  auto r = d.request("POST", "/hooks/gitlab/app-gl", gl_delivery.body, gl_delivery.headers);
  ASSERT_EQ(r.status, 202) << r.body;
  auto gl = wait_for(json::parse(r.body).at("run").as_int64(), "succeeded");
  EXPECT_EQ(gl.at("ref").as_string(), "refs/merge-requests/3/head");
  EXPECT_EQ(gl.at("pull_request").at("fork").as_bool(), true);

  const std::string pr = commit_to("refs/pull/4/head", pipeline(4, "test", "master"));
  auto gt_delivery = pull_request_delivery("gitea", {4, pr, "synchronized"}, "gt-pr-4");
  auto g = d.request("POST", "/hooks/gitea/app-gt", gt_delivery.body, gt_delivery.headers);
  ASSERT_EQ(g.status, 202) << g.body;
  auto gt = wait_for(json::parse(g.body).at("run").as_int64(), "succeeded");
  EXPECT_EQ(gt.at("pull_request").at("number").as_int64(), 4);
  EXPECT_EQ(gt.at("pull_request").at("fork").as_bool(), false);
}

// Room for every run at once, but for the project's fork places (pull_requests.
// max_concurrent_forks, 2 by default).
class ForkPlacesTest : public PullRequestTest {
 protected:
  explicit ForkPlacesTest(
      const std::string& limits = "limits:\n  concurrent_runs: 8\n  runs_per_project: 8\n")
      : PullRequestTest(limits) {}

  // Lets the run of kHeld for pull request `number` end: its step sleeps until killed (a file
  // written into its workspace from outside would not reach it through its overlay). By the
  // request's number, which no other test uses, not the run's, which every daemon's runs share.
  void release(int number) {
    for (int i = 0;
         i < 200 && kill_processes_running({"sleep", "1000" + std::to_string(number)}) == 0; ++i) {
      std::this_thread::sleep_for(50ms);
    }
  }

  static constexpr const char* kHeld =
      "steps:\n  - {name: held, commands: [\"sleep 1000$JUANIE_PR || true\"]}\n";
};

TEST_F(ForkPlacesTest, AtMostTwoForkRunsRunAtOnceTheThirdWaitsAndAPushGoesPast) {
  std::vector<std::int64_t> forks;
  for (int n = 21; n <= 23; ++n) {
    const std::string sha = commit_to("refs/pull/" + std::to_string(n) + "/head", kHeld);
    forks.push_back(
        post_github(github_body(n, sha, "synchronize", true), "gh-fork-" + std::to_string(n))
            .at("run")
            .as_int64());
  }
  wait_step_running(forks[0]);
  wait_step_running(forks[1]);

  // A push of the project's, queued after the third fork run, runs to its end past it.
  const std::string pushed =
      commit_to("refs/heads/develop", "steps:\n  - {name: quick, commands: [\"true\"]}\n");
  const std::string body = push_body("refs/heads/develop", pushed);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "gh-push-develop"));
  ASSERT_EQ(r.status, 202) << r.body;
  wait_for(json::parse(r.body).at("run").as_int64(), "succeeded");
  // Every pass since the third fork run was queued held it: it waits, never dropped.
  auto waiting = run(forks[2]);
  EXPECT_EQ(waiting.at("state").as_string(), "queued") << json::serialize(waiting);
  EXPECT_EQ(run(forks[0]).at("state").as_string(), "running");
  EXPECT_EQ(run(forks[1]).at("state").as_string(), "running");

  // One ends: the third runs, and ends when let.
  release(21);
  wait_for(forks[0], "succeeded");
  wait_step_running(forks[2]);
  release(22);
  release(23);
  wait_for(forks[1], "succeeded");
  wait_for(forks[2], "succeeded");
}

// Under the daemon's default limits (two places, a fork cap of two) a stranger's two fork pull
// requests take one place: the project's own push runs in the other, to its end, meanwhile.
class ForkDefaultsTest : public ForkPlacesTest {
 protected:
  ForkDefaultsTest() : ForkPlacesTest("") {}
};

TEST_F(ForkDefaultsTest, TwoForkPullRequestsLeaveAPlaceForThePush) {
  std::vector<std::int64_t> forks;
  for (int n = 31; n <= 32; ++n) {
    const std::string sha = commit_to("refs/pull/" + std::to_string(n) + "/head", kHeld);
    forks.push_back(
        post_github(github_body(n, sha, "synchronize", true), "gh-fork-" + std::to_string(n))
            .at("run")
            .as_int64());
  }
  wait_step_running(forks[0]);
  const std::string pushed =
      commit_to("refs/heads/develop", "steps:\n  - {name: quick, commands: [\"true\"]}\n");
  const std::string body = push_body("refs/heads/develop", pushed);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "gh-push-dev-31"));
  ASSERT_EQ(r.status, 202) << r.body;
  wait_for(json::parse(r.body).at("run").as_int64(), "succeeded");
  EXPECT_EQ(run(forks[0]).at("state").as_string(), "running");
  EXPECT_EQ(run(forks[1]).at("state").as_string(), "queued");
  release(31);
  wait_for(forks[0], "succeeded");
  wait_step_running(forks[1]);
  release(32);
  wait_for(forks[1], "succeeded");
}

}  // namespace
}  // namespace juanie::test
