#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>

#include "integration/daemon_fixture.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;

class WebhookTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new Daemon();
    ASSERT_TRUE(daemon_->start()) << daemon_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();
    delete daemon_;
  }
  static Daemon& d() { return *daemon_; }
  static long long runs() {
    return count_rows((d().home() / "data/juanie.db").string(), "SELECT count(*) FROM runs");
  }
  static inline Daemon* daemon_ = nullptr;
};

json::object body_of(const daemon::http::ClientResponse& r) {
  return json::parse(r.body).as_object();
}

TEST_F(WebhookTest, GithubPushQueuesARunForTheMappedEnvironment) {
  const std::string body = fixture("github-push.json");
  auto r = d().request("POST", "/hooks/github/shop-api", body,
                       github_headers(body, "72d3162e-cc78-11e3-81ab-4c9367dc0958"));
  ASSERT_EQ(r.status, 202) << r.body;
  auto o = body_of(r);
  EXPECT_EQ(o.at("delivery").as_string(), "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  EXPECT_EQ(o.at("environment").as_string(), "dev");
  const auto run_id = o.at("run").as_int64();

  auto run = d().api("/api/v1/runs/" + std::to_string(run_id));
  ASSERT_EQ(run.status, 200) << run.body;
  auto ro = body_of(run);
  EXPECT_EQ(ro.at("state").as_string(), "queued");
  EXPECT_EQ(ro.at("branch").as_string(), "develop");
  EXPECT_EQ(ro.at("sha").as_string(), "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5");
  EXPECT_EQ(ro.at("ref").as_string(), "refs/heads/develop");
  EXPECT_EQ(ro.at("trigger").as_string(), "push");
  EXPECT_EQ(ro.at("commit_message").as_string(),
            "Add the order endpoint\n\nWith validation of the quantity.");
  EXPECT_TRUE(ro.at("started_at").is_null());
  EXPECT_TRUE(ro.at("steps").as_array().empty());
  EXPECT_TRUE(ro.at("deployment").is_null());

  // GitHub redelivers with the same id: the original run, 200, nothing new stored.
  const long long before = runs();
  auto again = d().request("POST", "/hooks/github/shop-api", body,
                           github_headers(body, "72d3162e-cc78-11e3-81ab-4c9367dc0958"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(body_of(again).at("run").as_int64(), run_id);
  EXPECT_EQ(body_of(again).at("duplicate").as_bool(), true);
  EXPECT_EQ(runs(), before);
}

TEST_F(WebhookTest, MainGoesToProdAndUnmappedBranchesToNoEnvironment) {
  const std::string main = push_body("refs/heads/main", sha_for(1));
  auto r = d().request("POST", "/hooks/github/shop-api", main, github_headers(main, "main-1"));
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(body_of(r).at("environment").as_string(), "prod");
  const std::string hotfix = push_body("refs/heads/hotfix/x", sha_for(2));
  auto h =
      d().request("POST", "/hooks/github/shop-api", hotfix, github_headers(hotfix, "hotfix-1"));
  ASSERT_EQ(h.status, 202) << h.body;
  EXPECT_TRUE(body_of(h).at("environment").is_null());
  const std::string tag = push_body("refs/tags/v2.0.0", sha_for(3));
  auto t = d().request("POST", "/hooks/github/shop-api", tag, github_headers(tag, "tag-1"));
  ASSERT_EQ(t.status, 202) << t.body;
  EXPECT_EQ(body_of(t).at("environment").as_string(), "prod");
}

TEST_F(WebhookTest, ASecondDeliveryOfAQueuedCommitReturnsThatRun) {
  const std::string body = push_body("refs/heads/feature/a", sha_for(10));
  auto first =
      d().request("POST", "/hooks/github/shop-api", body, github_headers(body, "same-commit-1"));
  auto second =
      d().request("POST", "/hooks/github/shop-api", body, github_headers(body, "same-commit-2"));
  ASSERT_EQ(first.status, 202);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(body_of(second).at("run"), body_of(first).at("run"));
}

TEST_F(WebhookTest, PingDeletionAndOtherEventsAnswer200WithoutARun) {
  const long long before = runs();
  const std::string ping = fixture("github-ping.json");
  auto p =
      d().request("POST", "/hooks/github/shop-api", ping, github_headers(ping, "ping-1", "ping"));
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(body_of(p).at("ignored").as_string(), "ping");
  const std::string del = fixture("github-branch-delete.json");
  auto dl = d().request("POST", "/hooks/github/shop-api", del, github_headers(del, "del-1"));
  ASSERT_EQ(dl.status, 200) << dl.body;
  EXPECT_EQ(body_of(dl).at("ignored").as_string(), "branch feature/old was deleted");
  const std::string issue = R"({"action":"opened","issue":{"number":1}})";
  auto i = d().request("POST", "/hooks/github/shop-api", issue,
                       github_headers(issue, "issue-1", "issues"));
  ASSERT_EQ(i.status, 200);
  EXPECT_EQ(body_of(i).at("ignored").as_string(), "event \"issues\" needs no run");
  EXPECT_EQ(runs(), before);
}

TEST_F(WebhookTest, GitlabTokenPushAndTagPush) {
  const std::string body = fixture("gitlab-push.json");
  auto r = d().request("POST", "/hooks/gitlab/billing", body,
                       gitlab_token_headers("8a3b6f0e-4c1d-4e5f-9a7b-1c2d3e4f5a6b"));
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(body_of(r).at("environment").as_string(), "staging");
  const std::string tag = fixture("gitlab-tag-push.json");
  auto t = d().request("POST", "/hooks/gitlab/billing", tag,
                       gitlab_token_headers("tag-uuid-1", "Tag Push Hook"));
  ASSERT_EQ(t.status, 200) << t.body;  // billing has no tag rule
  EXPECT_EQ(body_of(t).at("ignored").as_string(), "no rule maps tag v1.0.0");
  auto note = d().request("POST", "/hooks/gitlab/billing", R"({"object_kind":"note"})",
                          gitlab_token_headers("note-1", "Note Hook"));
  EXPECT_EQ(note.status, 200);  // GitLab disables hooks that get 4xx
}

TEST_F(WebhookTest, GitlabSigningTokenWithinFiveMinutes) {
  const std::string body = push_body("refs/heads/develop", sha_for(20));
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto r =
      d().request("POST", "/hooks/gitlab/ledger", body, gitlab_signed_headers(body, "sig-1", now));
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string other = push_body("refs/heads/develop", sha_for(21));
  const long long before = runs();
  auto stale = d().request("POST", "/hooks/gitlab/ledger", other,
                           gitlab_signed_headers(other, "sig-2", now - 600));
  EXPECT_EQ(stale.status, 401) << stale.body;
  EXPECT_NE(stale.body.find("five minutes"), std::string::npos);
  EXPECT_EQ(runs(), before);
}

// A captured signed request replayed within the five minutes under a new, unsigned
// X-Gitlab-Event-UUID is the same delivery: the signed webhook-id decides, and no second run
// starts. A timestamp too large for the clock is refused, not overflowed.
TEST_F(WebhookTest, GitlabSignedReplayUnderANewUuidIsTheSameDelivery) {
  const std::string body = push_body("refs/heads/develop", sha_for(22));
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto headers = gitlab_signed_headers(body, "sig-replay", now);
  auto first = d().request("POST", "/hooks/gitlab/ledger", body, headers);
  ASSERT_EQ(first.status, 202) << first.body;
  const long long before = runs();
  for (auto& [name, value] : headers) {
    if (name == "X-Gitlab-Event-UUID") value = "attacker-chosen-uuid";
  }
  auto replay = d().request("POST", "/hooks/gitlab/ledger", body, headers);
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(body_of(replay).at("run"), body_of(first).at("run"));
  EXPECT_EQ(runs(), before);

  // Correctly signed, so only the time check stands in the way (under UBSan the old
  // conversion aborted the daemon).
  for (long long huge : {9223372036854775807LL, -9223372036854775807LL, 99999999999999999LL}) {
    auto r = d().request("POST", "/hooks/gitlab/ledger", body,
                         gitlab_signed_headers(body, "sig-huge-" + std::to_string(huge), huge));
    EXPECT_EQ(r.status, 401) << huge << " " << r.body;
    EXPECT_NE(r.body.find("five minutes"), std::string::npos) << r.body;
  }
  EXPECT_EQ(runs(), before);
}

TEST_F(WebhookTest, GiteaPush) {
  const std::string body = fixture("gitea-push.json");
  auto r = d().request("POST", "/hooks/gitea/wiki", body, gitea_headers(body, "b4a1c2d3-0001"));
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(body_of(r).at("environment").as_string(), "dev");
}

TEST_F(WebhookTest, AttacksAreRefusedAndStoreNothing) {
  const long long before = runs();
  const long long deliveries_before =
      count_rows((d().home() / "data/juanie.db").string(), "SELECT count(*) FROM deliveries");
  const std::string body = push_body("refs/heads/develop", sha_for(30));

  auto tampered_headers = github_headers(body, "attack-1");
  auto t = d().request("POST", "/hooks/github/shop-api", body + " ", tampered_headers);
  EXPECT_EQ(t.status, 401) << t.body;

  auto missing = github_headers(body, "attack-2");
  missing.pop_back();  // X-Hub-Signature-256
  auto m = d().request("POST", "/hooks/github/shop-api", body, missing);
  EXPECT_EQ(m.status, 401);
  EXPECT_NE(m.body.find("SHA-1"), std::string::npos);  // only the legacy header is left

  auto w = d().request("POST", "/hooks/github/shop-api", body,
                       github_headers(body, "attack-3", "push", "wrong-secret"));
  EXPECT_EQ(w.status, 401);

  auto gl = gitlab_token_headers("attack-4");
  gl.back().second = std::string(kGitlabSecret) + "x";
  EXPECT_EQ(d().request("POST", "/hooks/gitlab/billing", body, gl).status, 401);

  auto gt = gitea_headers(body, "attack-5");
  EXPECT_EQ(d().request("POST", "/hooks/gitea/wiki", body + "\n", gt).status, 401);

  // A forge's valid signature for another project's secret does not cross over.
  EXPECT_EQ(
      d().request("POST", "/hooks/gitlab/ledger", body, gitlab_token_headers("attack-6")).status,
      401);

  EXPECT_EQ(
      d().request("POST", "/hooks/github/nope", body, github_headers(body, "attack-7")).status,
      404);
  EXPECT_EQ(
      d().request("POST", "/hooks/gitlab/shop-api", body, gitlab_token_headers("attack-8")).status,
      404);
  EXPECT_EQ(d().request("POST", "/hooks/bitbucket/shop-api", body).status, 404);
  EXPECT_EQ(d().request("GET", "/hooks/github/shop-api").status, 405);

  const std::string garbage = "{\"ref\": ";
  auto g =
      d().request("POST", "/hooks/github/shop-api", garbage, github_headers(garbage, "attack-9"));
  EXPECT_EQ(g.status, 400) << g.body;

  EXPECT_EQ(runs(), before);
  EXPECT_EQ(count_rows((d().home() / "data/juanie.db").string(), "SELECT count(*) FROM deliveries"),
            deliveries_before);
  auto metrics = d().request("GET", "/metrics");
  EXPECT_NE(metrics.body.find(R"(juanie_webhooks_total{forge="github",result="unauthorized"})"),
            std::string::npos);
  EXPECT_NE(d().log().find("refused (401)"), std::string::npos);
}

}  // namespace
}  // namespace juanie::test
