// POST /api/v1/projects/{project}/runs and `juanie trigger`, its client: a real bare
// repository, the real daemon (queueing only), real HTTP.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdio>

#include "integration/daemon_fixture.hpp"
#include "support/pushed_repository.hpp"
#include "support/shell.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;

class StartRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app = std::make_unique<PushedRepository>(d.home(), "app", "main");
    head = app->commit({{".juanie.yml", "steps: [{name: t, commands: [true]}]\n"}}, "first",
                       "Bob <bob@example.com>");
    d.home().write("secrets/app.webhook", kGithubSecret);
    d.home().write(
        "projects.d/app.yaml",
        "name: app\nrepo: {url: " + app->bare() +
            ", forge: github, webhook_secret: app.webhook}\n"
            "environments:\n  prod: {approvers: [carol]}\napprovers: {carol: {email: carol@x}}\n"
            "branches:\n  - {match: main, environment: prod, trigger: manual}\n"
            "  - {match: \"feature/*\", environment: dev}\n");
    carol_token = d.add_api_token("ops", "ops-token", "carol");
    ASSERT_TRUE(d.start()) << d.log();
  }

  daemon::http::ClientResponse start(const std::string& project, const std::string& body,
                                     const std::string& token = "ops-token") {
    return d.request("POST", "/api/v1/projects/" + project + "/runs", body,
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }

  long long runs() {
    return count_rows((d.home() / "data" / "juanie.db").string(), "SELECT count(*) FROM runs");
  }

  Daemon d;
  std::unique_ptr<PushedRepository> app;
  std::string head, carol_token;
};

TEST_F(StartRunTest, AManualRunOfARefsHeadIsQueuedAsAWebhookWouldQueueIt) {
  auto r = start("app", R"({"ref": "main"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto answer = json::parse(r.body).as_object();
  const auto id = answer.at("run").as_int64();
  EXPECT_EQ(answer.at("url").as_string(), "/api/v1/runs/" + std::to_string(id));
  EXPECT_EQ(r.header("Location"), "/api/v1/runs/" + std::to_string(id));
  EXPECT_EQ(answer.at("sha").as_string(), head);
  EXPECT_EQ(answer.at("environment").as_string(), "prod");

  const auto run = json::parse(d.api("/api/v1/runs/" + std::to_string(id)).body).as_object();
  EXPECT_EQ(run.at("state").as_string(), "queued");
  EXPECT_EQ(run.at("ref").as_string(), "refs/heads/main");
  EXPECT_EQ(run.at("branch").as_string(), "main");
  EXPECT_EQ(run.at("sha").as_string(), head);
  EXPECT_EQ(run.at("trigger").as_string(), "manual");
  EXPECT_EQ(run.at("deploy_trigger").as_string(), "manual");
  // The token's name and the person it belongs to are the run's trigger.
  EXPECT_EQ(run.at("pusher").as_string(), "ops");
  EXPECT_EQ(run.at("sender").as_string(), "carol");

  // Asked again for the same commit: the queued run, not a second one.
  auto again = start("app", R"({"ref": "refs/heads/main"})");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body).at("run").as_int64(), id);
  EXPECT_TRUE(json::parse(again.body).at("duplicate").as_bool());

  // A branch pushed after the daemon started is fetched first; the branch rules apply.
  app->commit({{"F", "1\n"}}, "feature");
  const std::string feature = [&] {
    int status = 0;
    auto out = sh("git -C " + app->work() + " checkout -q -b feature/x && git -C " + app->work() +
                      " push -q " + app->bare() + " feature/x 2>&1 && git -C " + app->work() +
                      " rev-parse HEAD",
                  &status);
    return out.substr(0, out.size() - 1);
  }();
  auto f = start("app", R"({"ref": "feature/x"})");
  ASSERT_EQ(f.status, 201) << f.body;
  EXPECT_EQ(json::parse(f.body).at("sha").as_string(), feature);
  EXPECT_EQ(json::parse(f.body).at("environment").as_string(), "dev");
  EXPECT_EQ(runs(), 2);
}

TEST_F(StartRunTest, WhatCannotBeStartedIsRefusedAndChangesNothing) {
  struct Case {
    std::string project, body;
    int status;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"nope", R"({"ref": "main"})", 404, "no project nope"},
           {"app", R"({"ref": "no-such-branch"})", 404, "app has no branch or tag no-such-branch"},
           {"app", R"({"ref": "refs/pull/1/head"})", 422, "neither refs/heads/"},
           {"app", R"({"ref": "refs/heads/../../x"})", 404, "has no branch or tag"},
           {"app", "{\"ref\": ", 400, "not JSON"},
           {"app", "", 400, "not JSON"},
           {"app", R"(["main"])", 400, "must be a JSON object"},
           {"app", R"({})", 400, "is required"},
           {"app", R"({"ref": ""})", 400, "non-empty string"},
           {"app", R"({"ref": 7})", 400, "non-empty string"},
           {"app", R"({"ref": "main", "sha": "0123"})", 400, "unknown field \\\"sha"},
       }) {
    auto r = start(c.project, c.body);
    EXPECT_EQ(r.status, c.status) << c.project << " " << c.body << ": " << r.body;
    EXPECT_NE(r.body.find(c.says), std::string::npos) << c.body << ": " << r.body;
  }
  EXPECT_EQ(start("app", R"({"ref": "main"})", "wrong-token").status, 401);
  EXPECT_EQ(d.request("POST", "/api/v1/projects/app/runs", R"({"ref": "main"})").status, 401);
  EXPECT_EQ(
      d.request("GET", "/api/v1/projects/app/runs", "", {{"Authorization", "Bearer ops-token"}})
          .status,
      405);
  EXPECT_EQ(d.api_post("/api/v1/projects/app/runs/x", R"({"ref": "main"})").status, 404);
  EXPECT_EQ(runs(), 0);
}

TEST_F(StartRunTest, JuanieTriggerStartsARunThroughTheApi) {
  const std::string trigger = std::string(JUANIE_BINARY) +
                              " trigger --url http://127.0.0.1:" + std::to_string(d.port()) +
                              " --token-file " + carol_token;
  int status = 0;
  const auto out = sh(trigger + " app main 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("queued run 1 of refs/heads/main at " + head.substr(0, 12) +
                     " for prod; its deployment counts as triggered by ops"),
            std::string::npos)
      << out;
  EXPECT_EQ(runs(), 1);
  const auto run = json::parse(d.api("/api/v1/runs/1").body).as_object();
  EXPECT_EQ(run.at("pusher").as_string(), "ops");

  // Refusals come from the daemon, with its reason; nothing is written.
  const auto unknown = sh(trigger + " app nowhere 2>&1", &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(unknown.find("404 app has no branch or tag nowhere"), std::string::npos) << unknown;
  const auto bad_token = sh(std::string(JUANIE_BINARY) + " trigger --url http://127.0.0.1:" +
                                std::to_string(d.port()) + " app main 2>&1",
                            &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(bad_token.find("no API token"), std::string::npos) << bad_token;
  d.home().write("tokens/wrong", "not-a-token\n");
  const auto refused = sh(
      std::string(JUANIE_BINARY) + " trigger --url http://127.0.0.1:" + std::to_string(d.port()) +
          " --token-file " + (d.home() / "tokens/wrong").string() + " app main 2>&1",
      &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(refused.find("401"), std::string::npos) << refused;
  const auto as = sh(trigger + " app main --as root 2>&1", &status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(as.find("--as is gone"), std::string::npos) << as;
  EXPECT_EQ(runs(), 1);

  // --config finds the daemon at its listen address.
  d.home().write("other.yaml",
                 "listen: 127.0.0.1:" + std::to_string(d.port()) +
                     "\ndata_dir: elsewhere\nprojects_dir: projects.d\nsecrets_dir: secrets\n");
  const auto by_config =
      sh(std::string(JUANIE_BINARY) + " trigger --config " + (d.home() / "other.yaml").string() +
             " --token-file " + carol_token + " app main 2>&1",
         &status);
  EXPECT_EQ(status, 0) << by_config;
  EXPECT_NE(by_config.find("already queued or running: run 1"), std::string::npos) << by_config;
}

}  // namespace
}  // namespace juanie::test
