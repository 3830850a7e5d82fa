#include "daemon/webhook/intake.hpp"

#include <gtest/gtest.h>

#include "daemon/support/crypto.hpp"
#include "support/test_data.hpp"

namespace juanie::daemon {
namespace {

using namespace std::chrono_literals;
const auto kNow = std::chrono::system_clock::time_point(1700000000s);
const std::string kSecret = "s3cr3t-ci-daemon";

config::LoadedProject project(Forge forge, const std::string& extra = "") {
  auto parsed = config::parse_project_config(
      "name: shop-api\nrepo: {url: u, forge: " + std::string(to_string(forge)) +
          ", webhook_secret: s}\nenvironments: {prod: {approvers: [alice]}}\n"
          "approvers: {alice: {email: a@x}}\n" +
          extra,
      "shop-api.yaml");
  EXPECT_TRUE(parsed) << parsed.error().message;
  return config::LoadedProject{*parsed, kSecret, ""};
}

std::string push(const std::string& ref, const std::string& after,
                 const std::string& before = "1111111111111111111111111111111111111111") {
  return R"({"ref":")" + ref + R"(","before":")" + before + R"(","after":")" + after + R"("})";
}

http::Request github(const std::string& body, const std::string& event = "push",
                     const std::string& delivery = "d-1") {
  http::Request r;
  r.method = "POST";
  r.body = body;
  r.headers = {{"X-GitHub-Event", event},
               {"X-GitHub-Delivery", delivery},
               {"X-Hub-Signature-256", "sha256=" + hex_encode(hmac_sha256(kSecret, body))}};
  return r;
}

const std::string kSha = "2222222222222222222222222222222222222222";

TEST(Intake, PushToAMappedBranchQueuesARunForItsEnvironment) {
  const auto p = project(Forge::kGithub);
  auto intake =
      classify_webhook(Forge::kGithub, github(push("refs/heads/develop", kSha)), &p, kNow);
  auto* run = std::get_if<store::RunRequest>(&intake);
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->project, "shop-api");
  EXPECT_EQ(run->delivery, "d-1");
  EXPECT_EQ(run->branch, "develop");
  EXPECT_EQ(run->ref_kind, "branch");
  EXPECT_EQ(run->sha, kSha);
  EXPECT_EQ(run->environment, "dev");
  EXPECT_EQ(run->deploy_trigger, "push");
}

TEST(Intake, MainMapsToProdByManualTrigger) {
  const auto p = project(Forge::kGithub);
  auto intake = classify_webhook(Forge::kGithub, github(push("refs/heads/main", kSha)), &p, kNow);
  auto* run = std::get_if<store::RunRequest>(&intake);
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->environment, "prod");
  EXPECT_EQ(run->deploy_trigger, "manual");
}

TEST(Intake, UnmappedBranchTestsButDeploysNowhere) {
  const auto p = project(Forge::kGithub);
  auto intake =
      classify_webhook(Forge::kGithub, github(push("refs/heads/hotfix/x", kSha)), &p, kNow);
  auto* run = std::get_if<store::RunRequest>(&intake);
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->environment, std::nullopt);
}

TEST(Intake, TagsRunOnlyWhenATagRuleMapsThem) {
  const auto plain = project(Forge::kGithub);
  auto ignored =
      classify_webhook(Forge::kGithub, github(push("refs/tags/v1.0.0", kSha)), &plain, kNow);
  ASSERT_TRUE(std::holds_alternative<Ignored>(ignored));
  EXPECT_EQ(std::get<Ignored>(ignored).reason, "no rule maps tag v1.0.0");
  const auto tagged =
      project(Forge::kGithub, "branches:\n  - {tag: \"v*\", environment: prod, trigger: manual}\n");
  auto queued =
      classify_webhook(Forge::kGithub, github(push("refs/tags/v1.0.0", kSha)), &tagged, kNow);
  auto* run = std::get_if<store::RunRequest>(&queued);
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->ref_kind, "tag");
  EXPECT_EQ(run->environment, "prod");
}

TEST(Intake, DeletionsPingsTestsAndOtherEventsAreIgnored) {
  const auto p = project(Forge::kGithub);
  auto deleted = classify_webhook(
      Forge::kGithub,
      github(push("refs/heads/feature/x", "0000000000000000000000000000000000000000")), &p, kNow);
  ASSERT_TRUE(std::holds_alternative<Ignored>(deleted));
  EXPECT_EQ(std::get<Ignored>(deleted).reason, "branch feature/x was deleted");
  auto ping = classify_webhook(Forge::kGithub, github("{}", "ping"), &p, kNow);
  ASSERT_TRUE(std::holds_alternative<Ignored>(ping));
  EXPECT_EQ(std::get<Ignored>(ping).reason, "ping");
  auto test =
      classify_webhook(Forge::kGithub, github(push("refs/heads/develop", kSha, kSha)), &p, kNow);
  ASSERT_TRUE(std::holds_alternative<Ignored>(test));
  auto issues = classify_webhook(Forge::kGithub, github("{}", "issues"), &p, kNow);
  ASSERT_TRUE(std::holds_alternative<Ignored>(issues));
  EXPECT_EQ(std::get<Ignored>(issues).reason, "event \"issues\" needs no run");
  auto notes = classify_webhook(Forge::kGithub, github(push("refs/notes/commits", kSha)), &p, kNow);
  ASSERT_TRUE(std::holds_alternative<Ignored>(notes));
}

TEST(Intake, RefusalsInTheOrderThatKeepsSecretsSafe) {
  const auto p = project(Forge::kGithub);
  // No project: 404 before anything else.
  auto unknown =
      classify_webhook(Forge::kGithub, github(push("refs/heads/develop", kSha)), nullptr, kNow);
  EXPECT_EQ(std::get<Rejection>(unknown).status, 404);
  // A project of another forge is not reachable through this forge's URL.
  auto wrong_forge =
      classify_webhook(Forge::kGitlab, github(push("refs/heads/develop", kSha)), &p, kNow);
  EXPECT_EQ(std::get<Rejection>(wrong_forge).status, 404);
  // The signature is checked before the body is parsed: garbage with a bad signature is 401.
  auto tampered = github("not json at all");
  tampered.body += "x";
  EXPECT_EQ(std::get<Rejection>(classify_webhook(Forge::kGithub, tampered, &p, kNow)).status, 401);
  // Garbage with a good signature is 400.
  EXPECT_EQ(
      std::get<Rejection>(classify_webhook(Forge::kGithub, github("not json"), &p, kNow)).status,
      400);
  auto no_delivery = github(push("refs/heads/develop", kSha));
  no_delivery.headers.erase(no_delivery.headers.begin() + 1);
  EXPECT_EQ(std::get<Rejection>(classify_webhook(Forge::kGithub, no_delivery, &p, kNow)).status,
            400);
}

TEST(Intake, GitlabAndGiteaFixtures) {
  const auto gitlab = project(Forge::kGitlab);
  http::Request r;
  r.body = test::read_file(std::string(JUANIE_TEST_DATA) + "/gitlab-push.json");
  r.headers = {{"X-Gitlab-Event", "Push Hook"},
               {"X-Gitlab-Token", kSecret},
               {"X-Gitlab-Event-UUID", "9cf3a7b5-1b1c-4d4f-8f0e-6a2c3c7e1d11"}};
  auto queued = classify_webhook(Forge::kGitlab, r, &gitlab, kNow);
  auto* run = std::get_if<store::RunRequest>(&queued);
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->environment, "staging");
  EXPECT_EQ(run->pusher, "jsmith");

  const auto gitea = project(Forge::kGitea);
  http::Request g;
  g.body = test::read_file(std::string(JUANIE_TEST_DATA) + "/gitea-push.json");
  g.headers = {{"X-Gitea-Event", "push"},
               {"X-Gitea-Delivery", "6a0b3c59-2f0e-4cc8-b6a5-2c8f5d2e9c10"},
               {"X-Gitea-Signature", hex_encode(hmac_sha256(kSecret, g.body))}};
  auto gitea_run = classify_webhook(Forge::kGitea, g, &gitea, kNow);
  ASSERT_TRUE(std::holds_alternative<store::RunRequest>(gitea_run));
  EXPECT_EQ(std::get<store::RunRequest>(gitea_run).environment, "dev");
}

// A pull request never deploys, whatever its branches map to: here every branch maps to dev,
// and its run still has no environment.
TEST(Intake, GithubPullRequestQueuesARunOfItsHeadWithoutEnvironment) {
  const auto p = project(Forge::kGithub, "branches: [{match: \"*\", environment: dev}]\n");
  auto intake = classify_webhook(
      Forge::kGithub, github(test::test_data("github-pull-request-opened.json"), "pull_request"),
      &p, kNow);
  auto* run = std::get_if<store::RunRequest>(&intake);
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->ref, "refs/pull/2/head");
  EXPECT_EQ(run->branch, "changes");
  EXPECT_EQ(run->sha, "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
  EXPECT_EQ(run->environment, std::nullopt);
  EXPECT_EQ(run->event, "pull_request");
  ASSERT_TRUE(run->pull_request);
  EXPECT_EQ(run->pull_request->number, 2);
  EXPECT_EQ(run->pull_request->title, "Update the README with new information.");
  EXPECT_EQ(run->pull_request->source_branch, "changes");
  EXPECT_EQ(run->pull_request->target_branch, "master");
  EXPECT_FALSE(run->pull_request->fork);
  auto fork = classify_webhook(
      Forge::kGithub,
      github(test::test_data("github-pull-request-fork-synchronize.json"), "pull_request"), &p,
      kNow);
  ASSERT_TRUE(std::holds_alternative<store::RunRequest>(fork));
  EXPECT_TRUE(std::get<store::RunRequest>(fork).pull_request->fork);
}

// An organisation's (or a GitLab group's, or a system) hook delivers every repository's
// requests under one secret: only the project's own repository's may run or cancel here.
TEST(Intake, APullRequestOfAnotherRepositoryNeitherRunsNorCancels) {
  auto with_url = [](const std::string& url) {
    auto parsed = config::parse_project_config(
        "name: shop-api\nrepo: {url: \"" + url +
            "\", forge: github, webhook_secret: s}\nenvironments: {prod: {approvers: [alice]}}\n"
            "approvers: {alice: {email: a@x}}\n",
        "shop-api.yaml");
    EXPECT_TRUE(parsed) << parsed.error().message;
    return config::LoadedProject{*parsed, kSecret, ""};
  };
  const auto own = with_url("https://github.com/codertocat/hello-world.git");
  EXPECT_TRUE(std::holds_alternative<store::RunRequest>(classify_webhook(
      Forge::kGithub, github(test::test_data("github-pull-request-opened.json"), "pull_request"),
      &own, kNow)));
  const auto other = with_url("git@github.com:acme/shop-api.git");
  for (const char* file : {"github-pull-request-opened.json", "github-pull-request-closed.json"}) {
    auto intake = classify_webhook(Forge::kGithub, github(test::test_data(file), "pull_request"),
                                   &other, kNow);
    auto* ignored = std::get_if<Ignored>(&intake);
    ASSERT_NE(ignored, nullptr) << file;
    EXPECT_EQ(ignored->reason,
              "pull request #2 is for Codertocat/Hello-World, not this project's acme/shop-api");
  }
}

TEST(Intake, ClosedPullRequestCancelsAndOtherActionsAreIgnored) {
  const auto p = project(Forge::kGithub);
  auto closed = classify_webhook(
      Forge::kGithub, github(test::test_data("github-pull-request-closed.json"), "pull_request"),
      &p, kNow);
  auto* c = std::get_if<PullRequestClosed>(&closed);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->ref, "refs/pull/2/head");
  EXPECT_EQ(c->reason, "pull request #2 was closed");
  std::string edited = test::test_data("github-pull-request-opened.json");
  edited.replace(edited.find("\"opened\""), 8, "\"edited\"");
  auto ignored = classify_webhook(Forge::kGithub, github(edited, "pull_request"), &p, kNow);
  ASSERT_TRUE(std::holds_alternative<Ignored>(ignored));
  EXPECT_EQ(std::get<Ignored>(ignored).reason, "pull request action \"edited\" brings no new code");
  // A bad body is 400 with the field; a bad signature is 401 before the body is read.
  std::string bad = test::test_data("github-pull-request-opened.json");
  bad.replace(bad.find("\"number\": 2,\n    \"state\""), 11, "\"number\": 0");
  bad.replace(bad.find("\"number\": 2"), 11, "\"number\": 0");
  auto rejected = classify_webhook(Forge::kGithub, github(bad, "pull_request"), &p, kNow);
  ASSERT_TRUE(std::holds_alternative<Rejection>(rejected));
  EXPECT_EQ(std::get<Rejection>(rejected).status, 400);
  EXPECT_NE(std::get<Rejection>(rejected).reason.find("number"), std::string::npos);
  auto unsigned_request =
      github(test::test_data("github-pull-request-opened.json"), "pull_request");
  unsigned_request.body += " ";
  EXPECT_EQ(
      std::get<Rejection>(classify_webhook(Forge::kGithub, unsigned_request, &p, kNow)).status,
      401);
}

TEST(Intake, GitlabMergeRequestAndGiteaPullRequest) {
  const auto gitlab = project(Forge::kGitlab);
  http::Request r;
  r.body = test::test_data("gitlab-merge-request-fork-update.json");
  r.headers = {{"X-Gitlab-Event", "Merge Request Hook"},
               {"X-Gitlab-Token", kSecret},
               {"X-Gitlab-Event-UUID", "2b9d3c1a-6f0e-4d2c-9a7b-1c2d3e4f5a6b"}};
  auto queued = classify_webhook(Forge::kGitlab, r, &gitlab, kNow);
  auto* run = std::get_if<store::RunRequest>(&queued);
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->ref, "refs/merge-requests/1/head");
  EXPECT_EQ(run->branch, "ms-viewport");
  EXPECT_TRUE(run->pull_request->fork);
  EXPECT_EQ(run->pusher, "root");
  r.body = test::test_data("gitlab-merge-request-merge.json");
  auto merged = classify_webhook(Forge::kGitlab, r, &gitlab, kNow);
  ASSERT_TRUE(std::holds_alternative<PullRequestClosed>(merged));
  EXPECT_EQ(std::get<PullRequestClosed>(merged).reason, "merge request !1 was merged");

  const auto gitea = project(Forge::kGitea);
  http::Request g;
  g.body = test::test_data("gitea-pull-request-opened.json");
  g.headers = {{"X-Gitea-Event", "pull_request"},
               {"X-Gitea-Delivery", "7b1c4d6a-3f0e-4dd8-b6a5-2c8f5d2e9c11"},
               {"X-Gitea-Signature", hex_encode(hmac_sha256(kSecret, g.body))}};
  auto gitea_run = classify_webhook(Forge::kGitea, g, &gitea, kNow);
  ASSERT_TRUE(std::holds_alternative<store::RunRequest>(gitea_run));
  EXPECT_EQ(std::get<store::RunRequest>(gitea_run).ref, "refs/pull/1/head");
  EXPECT_EQ(std::get<store::RunRequest>(gitea_run).environment, std::nullopt);
}

}  // namespace
}  // namespace juanie::daemon
