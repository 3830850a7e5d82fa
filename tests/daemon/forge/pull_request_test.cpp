#include "daemon/forge/pull_request.hpp"

#include <gtest/gtest.h>

#include "daemon/forge/request_with.hpp"
#include "support/test_data.hpp"

namespace juanie::daemon {
namespace {

using test::test_data;

// GitHub's published pull_request "opened" example, byte for byte (octokit/webhooks'
// payload-examples, Codertocat/Hello-World #2); "closed" likewise.
TEST(PullRequestEvent, GithubOpenedFromTheSameRepository) {
  auto e = parse_event(Forge::kGithub, with(test_data("github-pull-request-opened.json"),
                                            {{"X-GitHub-Event", "pull_request"}}));
  ASSERT_TRUE(e) << e.error().message;
  ASSERT_EQ(e->kind, EventKind::kPullRequest);
  const auto& pr = e->pull_request;
  EXPECT_EQ(pr.action, PullRequestAction::kRun);
  EXPECT_EQ(pr.number, 2);
  EXPECT_EQ(pr.title, "Update the README with new information.");
  EXPECT_EQ(pr.head_sha, "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
  EXPECT_EQ(pr.source_branch, "changes");
  EXPECT_EQ(pr.target_branch, "master");
  EXPECT_EQ(pr.head_repository, "Codertocat/Hello-World");
  EXPECT_EQ(pr.base_repository, "Codertocat/Hello-World");
  EXPECT_FALSE(pr.fork);
  EXPECT_EQ(pr.head_ref, "refs/pull/2/head");
  EXPECT_EQ(pr.sender, "Codertocat");
}

TEST(PullRequestEvent, GithubSynchronizeFromAFork) {
  auto pr =
      parse_pull_request(Forge::kGithub, test_data("github-pull-request-fork-synchronize.json"));
  ASSERT_TRUE(pr) << pr.error().message;
  EXPECT_EQ(pr->action, PullRequestAction::kRun);
  EXPECT_EQ(pr->head_sha, "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
  EXPECT_EQ(pr->head_repository, "octo-fork/Hello-World");  // the one edit of the example
  EXPECT_TRUE(pr->fork);
}

TEST(PullRequestEvent, GithubDeletedForkAndCaseOfNames) {
  // head.repo is null once the fork is deleted: treated as a fork.
  std::string body = test_data("github-pull-request-opened.json");
  const auto at = body.find("\"repo\": {");
  ASSERT_NE(at, std::string::npos);
  const auto end = body.find("},\n    \"base\"");
  body = body.substr(0, at) + "\"repo\": null\n    " + body.substr(end);
  auto deleted = parse_pull_request(Forge::kGithub, body);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_TRUE(deleted->fork);
  // GitHub names are case-insensitive: the same repository spelt differently is no fork.
  std::string spelt = test_data("github-pull-request-opened.json");
  spelt.replace(spelt.find("\"full_name\": \"Codertocat/Hello-World\""), 37,
                "\"full_name\": \"codertocat/hello-world\"");
  auto same = parse_pull_request(Forge::kGithub, spelt);
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->fork);
}

TEST(PullRequestEvent, GithubActions) {
  for (const char* action : {"opened", "reopened", "synchronize", "ready_for_review"}) {
    std::string body = test_data("github-pull-request-opened.json");
    body.replace(body.find("\"opened\""), 8, std::string("\"") + action + "\"");
    auto pr = parse_pull_request(Forge::kGithub, body);
    ASSERT_TRUE(pr) << action;
    EXPECT_EQ(pr->action, PullRequestAction::kRun) << action;
  }
  auto closed = parse_pull_request(Forge::kGithub, test_data("github-pull-request-closed.json"));
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->action, PullRequestAction::kClose);
  EXPECT_EQ(closed->head_ref, "refs/pull/2/head");
  for (const char* action : {"edited", "labeled", "converted_to_draft", "synchronized"}) {
    std::string body = test_data("github-pull-request-opened.json");
    body.replace(body.find("\"opened\""), 8, std::string("\"") + action + "\"");
    auto pr = parse_pull_request(Forge::kGithub, body);
    ASSERT_TRUE(pr);
    EXPECT_EQ(pr->action, PullRequestAction::kIgnore) << action;
    EXPECT_NE(pr->ignore_reason.find(action), std::string::npos);
  }
}

TEST(PullRequestEvent, MalformedBodiesNameTheField) {
  auto not_json = parse_pull_request(Forge::kGithub, "{\"action\":");
  ASSERT_FALSE(not_json);
  EXPECT_NE(not_json.error().message.find("not valid JSON"), std::string::npos);
  std::string body = test_data("github-pull-request-opened.json");
  const std::string head_sha = "\"sha\": \"ec26c3e57ca3a959ca5aad62de7213c562f8c821\"";
  body.replace(body.find(head_sha), head_sha.size(), "\"sha\": \"HEAD\"");
  auto bad_sha = parse_pull_request(Forge::kGithub, body);
  ASSERT_FALSE(bad_sha);
  EXPECT_NE(bad_sha.error().message.find("pull_request.head.sha"), std::string::npos);
  std::string branch = test_data("github-pull-request-opened.json");
  branch.replace(branch.find("\"ref\": \"changes\""), 16, "\"ref\": \"a..b\"");
  auto bad_branch = parse_pull_request(Forge::kGithub, branch);
  ASSERT_FALSE(bad_branch);
  EXPECT_NE(bad_branch.error().message.find("pull_request.head.ref"), std::string::npos);
  auto no_number = parse_pull_request(Forge::kGithub, R"({"action":"closed","pull_request":{}})");
  ASSERT_FALSE(no_number);
  EXPECT_NE(no_number.error().message.find("number"), std::string::npos);
  auto no_pr = parse_pull_request(Forge::kGitea, R"({"action":"opened","number":3})");
  ASSERT_FALSE(no_pr);
  EXPECT_EQ(no_pr.error().message, "pull_request is missing or not an object");
  auto negative =
      parse_pull_request(Forge::kGitlab, R"({"object_attributes":{"action":"close","iid":-4}})");
  ASSERT_FALSE(negative);
  EXPECT_NE(negative.error().message.find("object_attributes.iid"), std::string::npos);
}

TEST(PullRequestEvent, TitleLosesControlCharacters) {
  std::string body = test_data("github-pull-request-opened.json");
  body.replace(body.find("Update the README"), 17, "Fix\\nINFO forged line\\u0007");
  auto pr = parse_pull_request(Forge::kGithub, body);
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->title, "FixINFO forged line with new information.");
}

// GitLab's documented "Merge request events" example, byte for byte (object_attributes.iid 1,
// ms-viewport → master, source and target project 14); the other GitLab fixtures are it with
// the fewest edits (tests/data/README.md).
TEST(PullRequestEvent, GitlabOpen) {
  auto e = parse_event(Forge::kGitlab, with(test_data("gitlab-merge-request-open.json"),
                                            {{"X-Gitlab-Event", "Merge Request Hook"}}));
  ASSERT_TRUE(e) << e.error().message;
  ASSERT_EQ(e->kind, EventKind::kPullRequest);
  const auto& pr = e->pull_request;
  EXPECT_EQ(pr.action, PullRequestAction::kRun);
  EXPECT_EQ(pr.number, 1);
  EXPECT_EQ(pr.title, "MS-Viewport");
  EXPECT_EQ(pr.head_sha, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  EXPECT_EQ(pr.source_branch, "ms-viewport");
  EXPECT_EQ(pr.target_branch, "master");
  EXPECT_EQ(pr.head_repository, "awesome_space/awesome_project");
  EXPECT_FALSE(pr.fork);
  EXPECT_EQ(pr.head_ref, "refs/merge-requests/1/head");
  EXPECT_EQ(pr.sender, "root");
  // A system hook says merge_request in object_kind.
  auto system = parse_event(Forge::kGitlab, with(test_data("gitlab-merge-request-open.json"),
                                                 {{"X-Gitlab-Event", "System Hook"}}));
  ASSERT_TRUE(system);
  EXPECT_EQ(system->kind, EventKind::kPullRequest);
}

TEST(PullRequestEvent, GitlabUpdateRunsOnlyWithNewCommits) {
  auto commits =
      parse_pull_request(Forge::kGitlab, test_data("gitlab-merge-request-fork-update.json"));
  ASSERT_TRUE(commits) << commits.error().message;
  EXPECT_EQ(commits->action, PullRequestAction::kRun);
  EXPECT_EQ(commits->head_sha, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  EXPECT_TRUE(commits->fork);  // source_project_id 15, target 14: the ids decide, not names
  EXPECT_EQ(commits->head_repository, "awesome_space/awesome_project");
  auto title = parse_pull_request(Forge::kGitlab,
                                  test_data("gitlab-merge-request-update-without-commits.json"));
  ASSERT_TRUE(title);
  EXPECT_EQ(title->action, PullRequestAction::kIgnore);
  EXPECT_EQ(title->ignore_reason, "merge request update without new commits");
  auto merged = parse_pull_request(Forge::kGitlab, test_data("gitlab-merge-request-merge.json"));
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->action, PullRequestAction::kClose);
  auto approved =
      parse_pull_request(Forge::kGitlab, R"({"object_attributes":{"action":"approved","iid":1}})");
  ASSERT_TRUE(approved);
  EXPECT_EQ(approved->action, PullRequestAction::kIgnore);
}

// Gitea's pull_request payload as Gitea renders it (no documented example exists; built from
// the upstream structs, see tests/data/README.md): gitea/webhooks #1, test → master.
// Gitea's and Forgejo's AGit flow (`git push origin HEAD:refs/for/master/topic`, open to
// anyone who can read the repository) reports the base repository as the head's: each of its
// marks — a head that is a ref, an empty head label — makes it a stranger's request, and so
// does a head repository id other than the base's under the same name.
TEST(PullRequestEvent, GiteaAgitRequestsAndForeignIdsAreForks) {
  const std::string opened = test_data("gitea-pull-request-opened.json");
  auto variant = [&](const std::string& from, const std::string& to) {
    std::string body = opened;
    const auto at = body.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) body.replace(at, from.size(), to);
    auto pr = parse_pull_request(Forge::kGitea, body);
    EXPECT_TRUE(pr) << (pr ? "" : pr.error().message);
    return pr ? pr->fork : false;
  };
  EXPECT_FALSE(variant("\"label\": \"test\"", "\"label\": \"test\""));
  EXPECT_TRUE(variant("\"label\": \"test\"", "\"label\": \"\""));
  EXPECT_TRUE(variant("\"ref\": \"test\"", "\"ref\": \"refs/pull/1/head\""));
  // The head's repository id (head.repo_id, or head.repo.id) is another's, under the same name.
  const auto head = opened.find("\"head\": {");
  ASSERT_NE(head, std::string::npos);
  for (const std::string id : {"\"repo_id\": 15", "\"repo\": {\n        \"id\": 15"}) {
    const auto at = opened.find(id, head);
    ASSERT_NE(at, std::string::npos) << id;
    const std::string through = opened.substr(head, at + id.size() - head);
    EXPECT_TRUE(variant(through, through.substr(0, through.size() - 2) + "16")) << id;
  }
}

TEST(PullRequestEvent, GiteaOpenedSynchronizedClosed) {
  auto e = parse_event(Forge::kGitea, with(test_data("gitea-pull-request-opened.json"),
                                           {{"X-Gitea-Event", "pull_request"}}));
  ASSERT_TRUE(e) << e.error().message;
  ASSERT_EQ(e->kind, EventKind::kPullRequest);
  EXPECT_EQ(e->pull_request.action, PullRequestAction::kRun);
  EXPECT_EQ(e->pull_request.number, 1);
  EXPECT_EQ(e->pull_request.title, "Update README.md");
  EXPECT_EQ(e->pull_request.head_sha, "2be1b2ed2bbc6fd0ad4a00bfa8463ef36e11a3e6");
  EXPECT_EQ(e->pull_request.source_branch, "test");
  EXPECT_EQ(e->pull_request.target_branch, "master");
  EXPECT_FALSE(e->pull_request.fork);
  EXPECT_EQ(e->pull_request.head_ref, "refs/pull/1/head");
  // Forgejo sends its own header too; a sync may name itself in the event header.
  auto forgejo =
      parse_event(Forge::kGitea, with(test_data("gitea-pull-request-fork-synchronized.json"),
                                      {{"X-Forgejo-Event", "pull_request_sync"}}));
  ASSERT_TRUE(forgejo) << forgejo.error().message;
  EXPECT_EQ(forgejo->pull_request.action, PullRequestAction::kRun);
  EXPECT_TRUE(forgejo->pull_request.fork);
  EXPECT_EQ(forgejo->pull_request.head_repository, "someone/webhooks");
  auto closed = parse_pull_request(Forge::kGitea, test_data("gitea-pull-request-closed.json"));
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->action, PullRequestAction::kClose);
  auto label =
      parse_pull_request(Forge::kGitea, test_data("gitea-pull-request-label-updated.json"));
  ASSERT_TRUE(label);
  EXPECT_EQ(label->action, PullRequestAction::kIgnore);
  // GitHub's word is not Gitea's: "synchronize" from a Gitea hook is not a known action.
  std::string body = test_data("gitea-pull-request-opened.json");
  body.replace(body.find("\"opened\""), 8, "\"synchronize\"");
  auto github_word = parse_pull_request(Forge::kGitea, body);
  ASSERT_TRUE(github_word);
  EXPECT_EQ(github_word->action, PullRequestAction::kIgnore);
}

}  // namespace
}  // namespace juanie::daemon
