#include "pipelines/commit_status.hpp"

#include <gtest/gtest.h>

#include <array>

namespace juanie::pipelines {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

TEST(CommitStatus, RunStatesAndTheirVerdicts) {
  EXPECT_EQ(run_status(RunState::kQueued, false, "").verdict, StatusVerdict::kQueued);
  EXPECT_EQ(run_status(RunState::kRunning, false, "").verdict, StatusVerdict::kRunning);
  EXPECT_EQ(run_status(RunState::kSucceeded, false, "").verdict, StatusVerdict::kSuccess);
  // A failed step is the commit's fault; anything else is the infrastructure's.
  auto step = run_status(RunState::kFailed, true, "step lint failed: exit code 4");
  EXPECT_EQ(step.verdict, StatusVerdict::kFailure);
  EXPECT_EQ(step.description, "step lint failed: exit code 4");
  auto fetch = run_status(RunState::kFailed, false, "fetch http://git.internal/a.git: refused");
  EXPECT_EQ(fetch.verdict, StatusVerdict::kError);
  EXPECT_EQ(fetch.description, "the pipeline could not be run; see the run for why");
  EXPECT_EQ(run_status(RunState::kFailed, false, "interrupted by a daemon restart").verdict,
            StatusVerdict::kError);
  EXPECT_EQ(run_status(RunState::kCancelled, false, "superseded by run 9").description,
            "superseded by run 9");
  EXPECT_EQ(run_status(RunState::kCancelled, false, "cancelled by ops-token").description,
            "cancelled");
}

TEST(CommitStatus, DescriptionsStayWithinGithubsLimitAndWholeCharacters) {
  const std::string long_reason = std::string(137, 'x') + "é and more";
  auto s = run_status(RunState::kFailed, true, long_reason);
  EXPECT_LE(s.description.size(), kDescriptionMax);
  // 137 x, then "é" would end at byte 139 — cut before it, never inside it.
  EXPECT_EQ(s.description, std::string(137, 'x') + "...");
  EXPECT_EQ(run_status(RunState::kFailed, true, std::string(140, 'y')).description,
            std::string(140, 'y'));
}

TEST(CommitStatus, DeploymentStates) {
  EXPECT_EQ(deployment_status(DeploymentState::kAwaitingApproval, "prod").description,
            "waiting for approval to deploy to prod");
  EXPECT_EQ(deployment_status(DeploymentState::kAwaitingApproval, "prod").verdict,
            StatusVerdict::kQueued);
  EXPECT_EQ(deployment_status(DeploymentState::kDeploying, "dev").verdict, StatusVerdict::kRunning);
  EXPECT_EQ(deployment_status(DeploymentState::kSuccess, "dev").description, "deployed to dev");
  EXPECT_EQ(deployment_status(DeploymentState::kFailed, "dev").verdict, StatusVerdict::kFailure);
  EXPECT_EQ(deployment_status(DeploymentState::kRolledBack, "dev").description,
            "rolled back in dev");
  EXPECT_EQ(deployment_status(DeploymentState::kCancelled, "dev").verdict,
            StatusVerdict::kCancelled);
}

TEST(CommitStatus, EachForgesWordForAVerdict) {
  using V = StatusVerdict;
  const std::pair<V, std::array<std::string_view, 3>> table[] = {
      // github, gitlab, gitea
      {V::kQueued, {"pending", "pending", "pending"}},
      {V::kRunning, {"pending", "running", "pending"}},
      {V::kSuccess, {"success", "success", "success"}},
      {V::kFailure, {"failure", "failed", "failure"}},
      {V::kError, {"error", "failed", "error"}},
      {V::kCancelled, {"error", "canceled", "error"}},
  };
  for (const auto& [verdict, words] : table) {
    EXPECT_EQ(forge_state(StatusApi::kGithub, verdict), words[0]);
    EXPECT_EQ(forge_state(StatusApi::kGitlab, verdict), words[1]);
    EXPECT_EQ(forge_state(StatusApi::kGitea, verdict), words[2]);
  }
}

TEST(CommitStatus, RepositoryPathOfEachUrlForm) {
  EXPECT_EQ(repository_path("https://github.com/acme/shop-api.git"), "acme/shop-api");
  EXPECT_EQ(repository_path("https://gitlab.example.com/group/sub/proj"), "group/sub/proj");
  EXPECT_EQ(repository_path("git@github.com:acme/shop-api.git"), "acme/shop-api");
  EXPECT_EQ(repository_path("ssh://git@gitea.local:2222/acme/app.git/"), "acme/app");
  EXPECT_EQ(repository_path("https://github.com/acme"), std::nullopt);
  EXPECT_EQ(repository_path("/srv/git/app.git"), std::nullopt);
  EXPECT_EQ(repository_path("https://host/a/b?x=1"), std::nullopt);
}

TEST(CommitStatus, DefaultApiBase) {
  EXPECT_EQ(default_api_base(StatusApi::kGithub, "https://ghe.example.com/a/b.git"),
            "https://api.github.com");
  EXPECT_EQ(default_api_base(StatusApi::kGitlab, "https://gitlab.example.com:8443/g/p.git"),
            "https://gitlab.example.com:8443");
  EXPECT_EQ(default_api_base(StatusApi::kGitea, "http://user@127.0.0.1:3000/a/b.git"),
            "http://127.0.0.1:3000");
  EXPECT_EQ(default_api_base(StatusApi::kGitea, "ssh://git@gitea.local:2222/a/b.git"),
            "https://gitea.local");
  EXPECT_EQ(default_api_base(StatusApi::kGitlab, "git@gitlab.com:g/p.git"), "https://gitlab.com");
  EXPECT_EQ(default_api_base(StatusApi::kGitlab, "/srv/git/p.git"), std::nullopt);
}

TEST(CommitStatus, StatusUrlsAsEachForgeDocumentsThem) {
  const std::string sha = "0123456789abcdef0123456789abcdef01234567";
  EXPECT_EQ(status_url(StatusApi::kGithub, "https://api.github.com", "acme/shop-api", sha),
            "https://api.github.com/repos/acme/shop-api/statuses/" + sha);
  EXPECT_EQ(status_url(StatusApi::kGithub, "https://ghe.example.com/api/v3/", "acme/x", sha),
            "https://ghe.example.com/api/v3/repos/acme/x/statuses/" + sha);
  // GitLab's :id is the whole path, slashes encoded.
  EXPECT_EQ(status_url(StatusApi::kGitlab, "https://gitlab.example.com", "group/sub/proj", sha),
            "https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fproj/statuses/" + sha);
  EXPECT_EQ(status_url(StatusApi::kGitea, "http://127.0.0.1:3000", "acme/app", sha),
            "http://127.0.0.1:3000/api/v1/repos/acme/app/statuses/" + sha);
  // A segment cannot smuggle a query or another path.
  EXPECT_EQ(status_url(StatusApi::kGitea, "http://h", "a b/c?d", "x"),
            "http://h/api/v1/repos/a%20b/c%3Fd/statuses/x");
}

TEST(CommitStatus, AnswersSentRetriedOrRefused) {
  const RateLimitHeaders none;
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 201, none, ""), StatusAnswer::kDelivered);
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 500, none, ""), StatusAnswer::kRetry);
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 502, none, ""), StatusAnswer::kRetry);
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 429, none, ""), StatusAnswer::kRetry);
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 401, none, ""), StatusAnswer::kRefused);
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 403, none, ""), StatusAnswer::kRefused);
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 404, none, ""), StatusAnswer::kRefused);
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 422, none, ""), StatusAnswer::kRefused);
  // GitHub's rate limit is a 403 with no requests remaining, or with Retry-After.
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 403, {"", "1700000000", "0"}, ""),
            StatusAnswer::kRetry);
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 403, {"60", "", ""}, ""), StatusAnswer::kRetry);
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 403, {"", "1700000000", "12"}, ""),
            StatusAnswer::kRefused);
  // GitLab refuses to set the state a status already has.
  const std::string same = R"({"message":"Cannot transition status via :run from :running"})";
  EXPECT_EQ(classify_answer(StatusApi::kGitlab, 400, none, same), StatusAnswer::kDelivered);
  EXPECT_EQ(classify_answer(StatusApi::kGithub, 400, none, same), StatusAnswer::kRefused);
  EXPECT_EQ(classify_answer(StatusApi::kGitlab, 400, none, "{}"), StatusAnswer::kRefused);
}

TEST(CommitStatus, RetryAfterInSecondsOrAsAnHttpDate) {
  const auto now = system_clock::time_point(std::chrono::seconds(1'700'000'000));
  EXPECT_EQ(parse_retry_after("120", now), now + 120s);
  EXPECT_EQ(parse_retry_after(" 0 ", now), now);
  // RFC 9110's example.
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            system_clock::time_point(std::chrono::seconds(784111777)));
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT", now),
            system_clock::time_point(std::chrono::seconds(946684799)));
  for (const char* bad : {"", "-5", "1.5", "soon", "99999999999999999999",
                          "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                          "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49:37 UTC", "Xyz, 06 Nov 1994 08:49:37 GMT"}) {
    EXPECT_EQ(parse_retry_after(bad, now), std::nullopt) << bad;
  }
}

TEST(CommitStatus, NotBeforeHonoursTheForgeWithinACap) {
  const auto now = system_clock::time_point(std::chrono::seconds(1'700'000'000));
  EXPECT_EQ(not_before(429, {"30", "", ""}, now, 1h), now + 30s);
  EXPECT_EQ(not_before(403, {"", "1700000600", "0"}, now, 1h), now + 600s);
  // The reset counts only when nothing remains.
  EXPECT_EQ(not_before(500, {"", "1700000600", "10"}, now, 1h), std::nullopt);
  EXPECT_EQ(not_before(500, {"", "", ""}, now, 1h), std::nullopt);
  // A header asking for a year waits an hour: a wrong clock must not silence a project.
  EXPECT_EQ(not_before(429, {"31536000", "", ""}, now, 1h), now + 1h);
  // Unparseable Retry-After falls back on the reset.
  EXPECT_EQ(not_before(429, {"later", "1700000060", "0"}, now, 1h), now + 60s);
  // Numbers past what system_clock holds in nanoseconds are "much later", not an overflow
  // (fuzz_rate_limit_headers found the first).
  EXPECT_EQ(not_before(429, {"70000060600", "", ""}, now, 1h), now + 1h);
  EXPECT_EQ(not_before(429, {"999999999999999999", "", ""}, now, 1h), now + 1h);
  EXPECT_EQ(not_before(403, {"", "999999999999999999", "0"}, now, 1h), now + 1h);
  EXPECT_GT(parse_retry_after("999999999999999999", now), now);
}

}  // namespace
}  // namespace juanie::pipelines
