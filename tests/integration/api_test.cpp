#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "integration/daemon_fixture.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;

TEST(Api, RunsNeedABearerToken) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  auto none = d.request("GET", "/api/v1/runs");
  EXPECT_EQ(none.status, 401);
  auto wrong = d.request("GET", "/api/v1/runs", "", {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(d.api("/api/v1/runs").status, 200);
}

TEST(Api, ListsRunsNewestFirstPerProject) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  for (int i = 0; i < 3; ++i) {
    const std::string body = push_body("refs/heads/develop", sha_for(300 + i));
    ASSERT_EQ(d.request("POST", "/hooks/github/shop-api", body,
                        github_headers(body, "api-" + std::to_string(i)))
                  .status,
              202);
  }
  const std::string gl = fixture("gitlab-push.json");
  ASSERT_EQ(d.request("POST", "/hooks/gitlab/billing", gl, gitlab_token_headers("api-gl")).status,
            202);

  auto list = d.api("/api/v1/runs?project=shop-api");
  ASSERT_EQ(list.status, 200);
  const auto runs = json::parse(list.body).at("runs").as_array();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_GT(runs[0].at("id").as_int64(), runs[1].at("id").as_int64());
  for (const char* field : {"id", "project", "ref", "branch", "sha", "environment", "trigger",
                            "state", "delivery", "created_at", "started_at", "finished_at"}) {
    EXPECT_TRUE(runs[0].as_object().contains(field)) << field;
  }
  EXPECT_EQ(runs[0].at("sha").as_string(), sha_for(302));
  const std::string created = std::string(runs[0].at("created_at").as_string());
  EXPECT_EQ(created.size(), 20u);
  EXPECT_EQ(created.back(), 'Z');
  EXPECT_EQ(json::parse(d.api("/api/v1/runs").body).at("runs").as_array().size(), 4u);
  EXPECT_EQ(json::parse(d.api("/api/v1/runs?limit=1").body).at("runs").as_array().size(), 1u);
  EXPECT_EQ(d.api("/api/v1/runs?limit=0").status, 400);
  EXPECT_EQ(d.api("/api/v1/runs/999999").status, 404);
  EXPECT_EQ(d.api("/api/v1/runs/abc").status, 404);
}

TEST(Api, HealthReadinessAndMetrics) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.request("GET", "/healthz").status, 200);
  auto ready = d.request("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  const std::string body = push_body("refs/heads/develop", sha_for(900));
  ASSERT_EQ(d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "m-1")).status,
            202);
  auto metrics = d.request("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string& m = metrics.body;
  EXPECT_NE(m.find("# TYPE juanie_webhooks_total counter"), std::string::npos);
  EXPECT_NE(m.find(R"(juanie_webhooks_total{forge="github",result="queued"} 1)"), std::string::npos)
      << m;
  EXPECT_NE(m.find("# TYPE juanie_http_request_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(m.find("juanie_queue_depth 1"), std::string::npos) << m;
  EXPECT_NE(m.find(R"(juanie_runs{state="queued"} 1)"), std::string::npos);
  EXPECT_NE(m.find(R"(juanie_runs{state="succeeded"} 0)"), std::string::npos);
}

// Another process holds the database's write lock past the writer's busy timeout: the store
// cannot write, so readiness fails and a webhook is answered 503 (the forge retries), never 2xx.
TEST(Api, AStoreThatCannotWriteAnswers503) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  sqlite3* locker = nullptr;
  ASSERT_EQ(sqlite3_open((d.home() / "data/juanie.db").c_str(), &locker), SQLITE_OK);
  // The daemon writes at start (recovery, retention sweep); wait our turn for the lock.
  sqlite3_busy_timeout(locker, 10'000);
  ASSERT_EQ(sqlite3_exec(locker, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);

  auto ready = d.request("GET", "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find("not writable"), std::string::npos);
  const std::string body = push_body("refs/heads/develop", sha_for(950));
  auto refused =
      d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "locked-1"));
  EXPECT_EQ(refused.status, 503) << refused.body;

  ASSERT_EQ(sqlite3_exec(locker, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(locker);
  EXPECT_EQ(count_rows((d.home() / "data/juanie.db").string(), "SELECT count(*) FROM runs"), 0);
  auto retried =
      d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "locked-1"));
  EXPECT_EQ(retried.status, 202) << retried.body;
  EXPECT_EQ(d.request("GET", "/readyz").status, 200);
  EXPECT_NE(d.request("GET", "/metrics").body.find(R"(result="unavailable")"), std::string::npos);
}

}  // namespace
}  // namespace juanie::test
