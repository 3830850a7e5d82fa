// Commit statuses reported by the real daemon to a stand-in for each forge on loopback (an
// HTTP server that records every request): the request each forge documents, byte for byte
// where it matters, and what happens when the forge fails or refuses.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "integration/daemon_fixture.hpp"
#include "integration/pull_request_bodies.hpp"
#include "support/git_servers.hpp"
#include "support/mail_and_hooks.hpp"
#include "support/shell.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kPublicUrl = "https://ci.example.com";
constexpr const char* kStatusToken = "forge-status-token-0123";

struct Forge {
  std::string name;       // github | gitlab | gitea
  std::string repo;       // the repository's path on the forge
  std::string endpoint;   // the path the status must be POSTed to, for sha "{sha}"
  std::string auth_name;  // the header carrying the token
  std::string auth_value;
  std::string context_key;  // "context", or GitLab's "name"
};

Forge github() {
  return {"github",
          "acme/app",
          "/repos/acme/app/statuses/{sha}",
          "Authorization",
          std::string("Bearer ") + kStatusToken,
          "context"};
}
Forge gitlab() {
  // A nested group: the whole path is one URL-encoded segment.
  return {"gitlab",        "acme/ci/app", "/api/v4/projects/acme%2Fci%2Fapp/statuses/{sha}",
          "PRIVATE-TOKEN", kStatusToken,  "name"};
}
Forge gitea() {
  return {"gitea",
          "acme/app",
          "/api/v1/repos/acme/app/statuses/{sha}",
          "Authorization",
          std::string("token ") + kStatusToken,
          "context"};
}

// The daemon queues runs only (limits.concurrent_runs: 0) until `run_queued()`, so the
// `pending` of a queued run is seen before anything else happens, whatever the machine's speed.
class StatusTest : public ::testing::Test {
 public:  // the scenarios below are shared by the three forges' tests
  StatusTest()
      : d(std::string("public_url: ") + kPublicUrl + "\n"),
        git(d.home() / "git", "x-access-token", "git-token") {}

  void configure(const Forge& f, const std::string& extra_repo = "") {
    forge_ = f;
    const std::string bare = (d.home() / "git" / (f.repo + ".git")).string();
    const std::string work = (d.home() / "work").string();
    fs::create_directories(fs::path(bare).parent_path());
    sh("git init -q --bare -b develop " + bare + " && git init -q -b develop " + work +
       " && git -C " + work + " remote add origin " + bare);
    d.home().write("secrets/app.webhook", secret_of(f));
    d.home().write("secrets/app.git-token", "git-token\n");
    d.home().write("secrets/app.status", std::string(kStatusToken) + "\n");
    d.home().write("projects.d/app.yaml",
                   "name: app\nrepo:\n  url: " + git.url(f.repo + ".git") + "\n  forge: " + f.name +
                       "\n  webhook_secret: app.webhook\n  username: x-access-token\n"
                       "  token: app.git-token\n  status_token: app.status\n  api_url: " +
                       receiver.url("") + "\n" + extra_repo +
                       "branches: [{match: develop, environment: dev}]\n");
  }

  static std::string secret_of(const Forge& f) {
    return f.name == "github" ? kGithubSecret : f.name == "gitlab" ? kGitlabSecret : kGiteaSecret;
  }

  // A commit pushed to `ref` of the forge's repository: develop, or a pull request's head
  // (head_ref), which no branch holds.
  std::string commit(const std::string& pipeline, const std::string& ref = "develop") {
    const std::string work = (d.home() / "work").string();
    d.home().write("work/.juanie.yml", pipeline);
    d.home().write("work/VERSION", std::to_string(++commits_) + "\n");
    sh("git -C " + work + " add -A && git -C " + work +
       " -c user.email=dev@example.com -c user.name=Dev commit -qm change && git -C " + work +
       " push -q -f origin HEAD:" + ref);
    std::string sha = sh("git -C " + work + " rev-parse HEAD");
    sha.pop_back();
    return sha;
  }

  std::int64_t push(const std::string& sha) {
    const std::string body = push_body("refs/heads/develop", sha);
    const std::string delivery = "status-" + std::to_string(++deliveries_);
    auto headers = forge_.name == "github"   ? github_headers(body, delivery)
                   : forge_.name == "gitlab" ? gitlab_token_headers(delivery)
                                             : gitea_headers(body, delivery);
    auto r = d.request("POST", "/hooks/" + forge_.name + "/app", body, headers);
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? json::parse(r.body).at("run").as_int64() : 0;
  }

  // Where the forge keeps pull request `number`'s head.
  std::string head_ref(int number) const {
    return (forge_.name == "gitlab" ? "refs/merge-requests/" : "refs/pull/") +
           std::to_string(number) + "/head";
  }

  // The forge's delivery of pull request `number` of the project's repository, opened (or, from
  // a fork, moved to `sha`), from its documented example; the run it queued.
  std::int64_t pull_request(int number, const std::string& sha, bool fork = false) {
    const std::string action = forge_.name == "github"   ? (fork ? "synchronize" : "opened")
                               : forge_.name == "gitlab" ? (fork ? "update" : "open")
                                                         : (fork ? "synchronized" : "opened");
    const auto delivery =
        pull_request_delivery(forge_.name, {number, sha, action, fork, forge_.repo},
                              "status-pr-" + std::to_string(++deliveries_));
    auto r = d.request("POST", "/hooks/" + forge_.name + "/app", delivery.body, delivery.headers);
    EXPECT_EQ(r.status, 202) << r.body;
    if (r.status != 202) return 0;
    const auto answer = json::parse(r.body);
    EXPECT_EQ(answer.at("pull_request").as_int64(), number) << r.body;
    return answer.at("run").as_int64();
  }

  // Restarts the daemon with room for one run: the queued runs start.
  void run_queued() {
    d.stop();
    const fs::path config = d.home() / "juanie.yaml";
    std::ifstream in(config);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    text.replace(text.find("concurrent_runs: 0"), 18, "concurrent_runs: 1");
    d.home().write("juanie.yaml", text);
    ASSERT_TRUE(d.start()) << d.log();
  }

  json::object run_json(std::int64_t run) {
    auto r = d.api("/api/v1/runs/" + std::to_string(run));
    return r.status == 200 ? json::parse(r.body).as_object() : json::object{};
  }

  json::object wait_run(std::int64_t run, const std::string& state) {
    json::object last;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (std::chrono::steady_clock::now() < deadline) {
      last = run_json(run);
      if (last.contains("state") && last.at("state").as_string() == state) return last;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "run " << run << " did not become " << state << ": " << json::serialize(last)
                  << "\n"
                  << d.log();
    return last;
  }

  // Waits until the forge saw a status with `state` for `sha` (up to 60 s); all it saw for sha.
  std::vector<json::object> wait_state(const std::string& sha, const std::string& state) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      auto seen = statuses(sha);
      for (const auto& s : seen) {
        if (s.at("state").as_string() == state) return seen;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "no " << state << " status for " << sha << "\n" << d.log();
        return seen;
      }
      std::this_thread::sleep_for(50ms);
    }
  }

  // The bodies POSTed for `sha`, each request checked as the forge documents it.
  std::vector<json::object> statuses(const std::string& sha) {
    std::vector<json::object> out;
    std::string path = forge_.endpoint;
    path.replace(path.find("{sha}"), 5, sha);
    for (const auto& r : receiver.received()) {
      if (r.path() != path) continue;
      EXPECT_EQ(r.method, "POST");
      EXPECT_EQ(r.header(forge_.auth_name).value_or(""), forge_.auth_value);
      EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
      if (forge_.name == "github") {
        EXPECT_EQ(r.header("Accept").value_or(""), "application/vnd.github+json");
        EXPECT_EQ(r.header("X-GitHub-Api-Version").value_or(""), "2022-11-28");
      } else {
        EXPECT_FALSE(r.header(forge_.name == "gitlab" ? "Authorization" : "PRIVATE-TOKEN"));
      }
      auto body = json::parse(r.body).as_object();
      EXPECT_EQ(body.size(), 4u) << r.body;
      EXPECT_TRUE(body.contains("state") && body.contains("target_url") &&
                  body.contains("description") && body.contains(forge_.context_key))
          << r.body;
      out.push_back(std::move(body));
    }
    // Every other request went to this forge's endpoint for some commit.
    for (const auto& r : receiver.received()) {
      const std::string prefix = forge_.endpoint.substr(0, forge_.endpoint.find("{sha}"));
      EXPECT_EQ(std::string(r.path()).rfind(prefix, 0), 0u) << r.target;
    }
    return out;
  }

  std::string link(std::int64_t run) const {
    return std::string(kPublicUrl) + "/runs/" + std::to_string(run);
  }

  Daemon d;
  GitHttpServer git;
  HookReceiver receiver;
  Forge forge_;
  int commits_ = 0;
  int deliveries_ = 0;
};

const char* kPassing = "steps:\n  - {name: test, commands: [\"cat VERSION\"]}\n";
const char* kFailing = "steps:\n  - {name: lint, commands: [\"exit 3\"]}\n";

void pending_then_success(StatusTest& t, const Forge& f, const std::string& running_word) {
  t.configure(f);
  ASSERT_TRUE(t.d.start()) << t.d.log();
  const std::string sha = t.commit(kPassing);
  const auto run = t.push(sha);
  auto first = t.wait_state(sha, "pending");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0], (json::object{{"state", "pending"},
                                    {"target_url", t.link(run)},
                                    {"description", "queued"},
                                    {f.context_key, "juanie/app"}}));
  t.run_queued();
  t.wait_run(run, "succeeded");
  auto seen = t.wait_state(sha, "success");
  EXPECT_EQ(seen.back(), (json::object{{"state", "success"},
                                       {"target_url", t.link(run)},
                                       {"description", "passed"},
                                       {f.context_key, "juanie/app"}}));
  // In between, only what a running run says; never anything after the success.
  for (std::size_t i = 1; i + 1 < seen.size(); ++i) {
    EXPECT_EQ(seen[i].at("state").as_string(), running_word);
    EXPECT_EQ(seen[i].at("description").as_string(), "running");
  }
  const auto report = t.run_json(run).at("status_report");
  EXPECT_EQ(json::serialize(report), R"({"state":"delivered"})");
}

TEST_F(StatusTest, GithubSeesPendingThenSuccess) {
  pending_then_success(*this, github(), "pending");
}
TEST_F(StatusTest, GitlabSeesPendingThenSuccess) {
  pending_then_success(*this, gitlab(), "running");
}
TEST_F(StatusTest, GiteaSeesPendingThenSuccess) {
  pending_then_success(*this, gitea(), "pending");
}

void failing_run(StatusTest& t, const Forge& f, const std::string& word) {
  t.configure(f, "  status_context: ci/juanie\n");
  ASSERT_TRUE(t.d.start()) << t.d.log();
  t.run_queued();
  const std::string sha = t.commit(kFailing);
  const auto run = t.push(sha);
  t.wait_run(run, "failed");
  auto seen = t.wait_state(sha, word);
  EXPECT_EQ(seen.back(), (json::object{{"state", word},
                                       {"target_url", t.link(run)},
                                       {"description", "step lint failed: exit code 3"},
                                       {f.context_key, "ci/juanie"}}));
}

TEST_F(StatusTest, GithubSeesAFailingRunAsFailure) {
  failing_run(*this, github(), "failure");
}
TEST_F(StatusTest, GitlabSeesAFailingRunAsFailed) {
  failing_run(*this, gitlab(), "failed");
}
TEST_F(StatusTest, GiteaSeesAFailingRunAsFailure) {
  failing_run(*this, gitea(), "failure");
}

// A pull request's run reports on the request's head, a commit no branch holds, under its own
// context: a check of the pull request, never the push run's check of the same commit.
void pull_request_pending_then_success(StatusTest& t, const Forge& f,
                                       const std::string& running_word) {
  t.configure(f);
  ASSERT_TRUE(t.d.start()) << t.d.log();
  const std::string sha = t.commit(kPassing, t.head_ref(5));
  const auto run = t.pull_request(5, sha);
  auto first = t.wait_state(sha, "pending");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0], (json::object{{"state", "pending"},
                                    {"target_url", t.link(run)},
                                    {"description", "queued"},
                                    {f.context_key, "juanie/app/pr"}}));
  t.run_queued();
  t.wait_run(run, "succeeded");
  auto seen = t.wait_state(sha, "success");
  EXPECT_EQ(seen.back(), (json::object{{"state", "success"},
                                       {"target_url", t.link(run)},
                                       {"description", "passed"},
                                       {f.context_key, "juanie/app/pr"}}));
  for (std::size_t i = 1; i + 1 < seen.size(); ++i) {
    EXPECT_EQ(seen[i].at("state").as_string(), running_word);
    EXPECT_EQ(seen[i].at(f.context_key).as_string(), "juanie/app/pr");
  }
  EXPECT_EQ(json::serialize(t.run_json(run).at("status_report")), R"({"state":"delivered"})");
}

TEST_F(StatusTest, GithubPullRequestRunSeesPendingThenSuccessOnItsHead) {
  pull_request_pending_then_success(*this, github(), "pending");
}
TEST_F(StatusTest, GitlabMergeRequestRunSeesPendingThenSuccessOnItsHead) {
  pull_request_pending_then_success(*this, gitlab(), "running");
}
TEST_F(StatusTest, GiteaPullRequestRunSeesPendingThenSuccessOnItsHead) {
  pull_request_pending_then_success(*this, gitea(), "pending");
}

// A fork's failing pull request is told on its head (to its author, who sees the check), and
// under the pull request's context only.
void failing_fork_pull_request(StatusTest& t, const Forge& f, const std::string& word) {
  t.configure(f);
  ASSERT_TRUE(t.d.start()) << t.d.log();
  t.run_queued();
  const std::string sha = t.commit(kFailing, t.head_ref(6));
  const auto run = t.pull_request(6, sha, true);
  const auto done = t.wait_run(run, "failed");
  EXPECT_EQ(done.at("pull_request").at("fork").as_bool(), true);
  auto seen = t.wait_state(sha, word);
  EXPECT_EQ(seen.back(), (json::object{{"state", word},
                                       {"target_url", t.link(run)},
                                       {"description", "step lint failed: exit code 3"},
                                       {f.context_key, "juanie/app/pr"}}));
  for (const auto& s : seen) EXPECT_EQ(s.at(f.context_key).as_string(), "juanie/app/pr");
}

TEST_F(StatusTest, GithubForkPullRequestRunThatFailsSeesFailure) {
  failing_fork_pull_request(*this, github(), "failure");
}
TEST_F(StatusTest, GitlabForkMergeRequestRunThatFailsSeesFailed) {
  failing_fork_pull_request(*this, gitlab(), "failed");
}
TEST_F(StatusTest, GiteaForkPullRequestRunThatFailsSeesFailure) {
  failing_fork_pull_request(*this, gitea(), "failure");
}

// A run that could not be carried out (here: a commit the repository does not have) is an
// error, not a failure, and its reason — which names the remote — stays behind the link.
TEST_F(StatusTest, ARunThatCannotBeCarriedOutIsAnError) {
  configure(github());
  ASSERT_TRUE(d.start()) << d.log();
  run_queued();
  commit(kPassing);  // the repository exists; the pushed commit does not
  const std::string sha = "0123456789abcdef0123456789abcdef01234567";
  const auto run = push(sha);
  wait_run(run, "failed");
  auto seen = wait_state(sha, "error");
  EXPECT_EQ(seen.back(),
            (json::object{{"state", "error"},
                          {"target_url", link(run)},
                          {"description", "the pipeline could not be run; see the run for why"},
                          {"context", "juanie/app"}}));
}

// A forge that fails once is asked again, with the same status; the run does not wait for it.
TEST_F(StatusTest, AForgeAnswering500IsAskedAgainUntilItTakesTheStatus) {
  configure(github());
  receiver.answer_next(500, R"({"message":"Server Error"})");
  receiver.default_answer(201, "{}");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string sha = commit(kPassing);
  const auto run = push(sha);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (receiver.received().size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  auto seen = statuses(sha);
  ASSERT_EQ(seen.size(), 2u) << d.log();
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_EQ(seen[1].at("state").as_string(), "pending");
  EXPECT_NE(d.log().find("HTTP 500"), std::string::npos) << d.log();
  for (int i = 0;
       i < 100 && json::serialize(run_json(run).at("status_report")) != R"({"state":"delivered"})";
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(json::serialize(run_json(run).at("status_report")), R"({"state":"delivered"})");
}

// A refusal (a token without the scope) is not retried, is logged once for the project, shows
// in the run's JSON, and changes nothing about the run.
TEST_F(StatusTest, AForgeRefusingWith403IsReportedAndTheRunCarriesOn) {
  configure(gitea());
  receiver.default_answer(
      403,
      R"({"message":"token does not have at least one of required scope(s): [write:repository]"})");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string sha = commit(kPassing);
  const auto run = push(sha);
  json::value report;
  for (int i = 0; i < 1200; ++i) {
    report = run_json(run).at("status_report");
    if (report.is_object()) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(report.is_object()) << d.log();
  EXPECT_EQ(report.at("state").as_string(), "refused");
  EXPECT_NE(std::string(report.at("reason").as_string()).find("gitea answered HTTP 403"),
            std::string::npos)
      << json::serialize(report);
  EXPECT_EQ(receiver.received().size(), 1u);  // not retried

  run_queued();
  wait_run(run, "succeeded");
  // The running and success statuses were refused too: asked once each, logged not at all.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (statuses(sha).back().at("state").as_string() != "success" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(statuses(sha).back().at("state").as_string(), "success");
  // The forge has the status as it answers; the daemon logs the refusal after the answer.
  EXPECT_TRUE(d.wait_for_log("commit statuses of app refused")) << d.log();
  const std::string log = d.log();
  const std::regex refused("commit statuses of app refused");
  EXPECT_EQ(
      std::distance(std::sregex_iterator(log.begin(), log.end(), refused), std::sregex_iterator()),
      1)
      << log;
  EXPECT_NE(log.find("write:repository"), std::string::npos) << log;
  EXPECT_EQ(log.find(kStatusToken), std::string::npos) << log;
}

// GitHub answers a rate limit with 403 and no requests remaining: not a refusal, and the next
// attempt waits for X-RateLimit-Reset (half an hour here), not for the backoff's 5 s.
TEST_F(StatusTest, ARateLimitedStatusWaitsForTheForgesReset) {
  configure(github());
  const auto reset = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() +
                     1800;
  receiver.answer_next(
      403, R"({"message":"API rate limit exceeded"})",
      {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", std::to_string(reset)}});
  ASSERT_TRUE(d.start()) << d.log();
  const auto run = push(commit(kPassing));
  json::value report;
  for (int i = 0; i < 1200 && !report.is_object(); ++i) {
    report = run_json(run).at("status_report");
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(report.is_object()) << d.log();
  EXPECT_EQ(report.at("state").as_string(), "retrying") << json::serialize(report);
  const std::string db = (d.home() / "data" / "juanie.db").string();
  // Not before the reset; the row's time is RFC 3339, comparable as text.
  char at[32];
  const std::time_t t = reset;
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  EXPECT_EQ(count_rows(db, std::string("SELECT count(*) FROM outbox WHERE state = 'pending' AND "
                                       "sink LIKE '%commit_status%' AND next_attempt_at >= '") +
                               at + "'"),
            1);
  EXPECT_EQ(receiver.received().size(), 1u);
  EXPECT_EQ(d.log().find("refused"), std::string::npos) << d.log();
}

}  // namespace
}  // namespace juanie::test
