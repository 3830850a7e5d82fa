#include "daemon/forge/event.hpp"

#include <gtest/gtest.h>

#include "daemon/forge/request_with.hpp"
#include "support/test_data.hpp"

namespace juanie::daemon {
namespace {

using test::test_data;

TEST(GithubEvent, Push) {
  auto e = parse_event(Forge::kGithub,
                       with(test_data("github-push.json"), {{"X-GitHub-Event", "push"}}));
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->kind, EventKind::kPush);
  EXPECT_EQ(e->push.ref, "refs/heads/develop");
  EXPECT_EQ(e->push.before, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
  EXPECT_EQ(e->push.after, "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5");
  EXPECT_EQ(e->push.pusher, "alice");
  EXPECT_EQ(e->push.sender, "alice");
  EXPECT_EQ(e->push.emails, (std::vector<std::string>{"alice@example.com", "noreply@github.com"}));
  EXPECT_EQ(e->push.repository, "acme/shop-api");
  EXPECT_EQ(e->push.commit_author, "Alice Example");
  EXPECT_EQ(e->push.commit_message, "Add the order endpoint\n\nWith validation of the quantity.");
}

TEST(GithubEvent, PingAndOthers) {
  auto ping = parse_event(Forge::kGithub,
                          with(test_data("github-ping.json"), {{"X-GitHub-Event", "ping"}}));
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->kind, EventKind::kPing);
  auto issue = parse_event(Forge::kGithub, with("{}", {{"X-GitHub-Event", "issues"}}));
  ASSERT_TRUE(issue);
  EXPECT_EQ(issue->kind, EventKind::kOther);
  EXPECT_EQ(issue->name, "issues");
}

TEST(GitlabEvent, PushAndTagPush) {
  auto push = parse_event(Forge::kGitlab,
                          with(test_data("gitlab-push.json"), {{"X-Gitlab-Event", "Push Hook"}}));
  ASSERT_TRUE(push) << push.error().message;
  EXPECT_EQ(push->push.ref, "refs/heads/release/2.4");
  EXPECT_EQ(push->push.after, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  EXPECT_EQ(push->push.pusher, "jsmith");
  // The pusher's address and every listed commit's author, not only the head commit's.
  EXPECT_EQ(push->push.emails, (std::vector<std::string>{"john@example.com", "jordi@softcatala.org",
                                                         "gitlabdev@dv6700.(none)"}));
  EXPECT_EQ(push->push.repository, "acme/shop-api");
  // The head commit is the entry whose id is `after`, not simply the first.
  EXPECT_EQ(push->push.commit_message, "fixed readme");
  EXPECT_EQ(push->push.commit_author, "GitLab dev user");
  auto tag = parse_event(Forge::kGitlab, with(test_data("gitlab-tag-push.json"),
                                              {{"X-Gitlab-Event", "Tag Push Hook"}}));
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->push.ref, "refs/tags/v1.0.0");
}

TEST(GitlabEvent, SystemHookUsesObjectKind) {
  auto push = parse_event(Forge::kGitlab,
                          with(test_data("gitlab-push.json"), {{"X-Gitlab-Event", "System Hook"}}));
  ASSERT_TRUE(push);
  EXPECT_EQ(push->kind, EventKind::kPush);
  // A merge request is read as one (pull_request_test.cpp); without its attributes it is
  // malformed.
  auto mr = parse_event(Forge::kGitlab, with(R"({"object_kind":"merge_request"})",
                                             {{"X-Gitlab-Event", "System Hook"}}));
  ASSERT_FALSE(mr);
  EXPECT_EQ(mr.error().message, "object_attributes is missing or not an object");
  auto issue = parse_event(Forge::kGitlab,
                           with(R"({"object_kind":"issue"})", {{"X-Gitlab-Event", "System Hook"}}));
  ASSERT_TRUE(issue);
  EXPECT_EQ(issue->kind, EventKind::kOther);
  EXPECT_EQ(issue->name, "issue");
}

TEST(GiteaEvent, Push) {
  auto e =
      parse_event(Forge::kGitea, with(test_data("gitea-push.json"), {{"X-Gitea-Event", "push"}}));
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->push.ref, "refs/heads/feature/cart");
  EXPECT_EQ(e->push.pusher, "bob");
  EXPECT_EQ(e->push.sender, "bob");
  EXPECT_EQ(e->push.emails, std::vector<std::string>{"bob@example.com"});
  EXPECT_EQ(e->push.commit_message, "Add the cart\n");
  auto forgejo =
      parse_event(Forge::kGitea, with(test_data("gitea-push.json"), {{"X-Forgejo-Event", "push"}}));
  ASSERT_TRUE(forgejo);
  EXPECT_EQ(forgejo->kind, EventKind::kPush);
}

TEST(ForgeEvent, MalformedPushesAreErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"not json", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"before":"1111111111111111111111111111111111111111","after":"1111111111111111111111111111111111111112"})",
       "ref is missing"},
      {R"({"ref":"refs/heads/x","before":"1111111111111111111111111111111111111111"})",
       "after is missing"},
      {R"({"ref":"refs/heads/x","before":"1111111111111111111111111111111111111111","after":"xyz"})",
       "after is not a commit id"},
      {R"({"ref":7,"before":"1111111111111111111111111111111111111111","after":"1111111111111111111111111111111111111111"})",
       "ref is missing or not a string"},
      {R"({"ref":"refs/heads/x","before":"1111111111111111111111111111111111111111","after":"1111111111111111111111111111111111111111")",
       "not valid JSON"},
  };
  for (const auto& [body, message] : cases) {
    auto e = parse_event(Forge::kGithub, with(body, {{"X-GitHub-Event", "push"}}));
    ASSERT_FALSE(e) << body;
    EXPECT_NE(e.error().message.find(message), std::string::npos) << e.error().message;
  }
  EXPECT_FALSE(parse_event(Forge::kGithub, with("{}", {})));
  EXPECT_FALSE(parse_event(Forge::kGitlab, with("{}", {})));
  EXPECT_FALSE(parse_event(Forge::kGitea, with("{}", {})));
}

TEST(ForgeEvent, LongCommitMessagesAreCutOnACharacterBoundary) {
  std::string message;
  for (int i = 0; i < 3000; ++i) message += "é";  // two bytes each
  const std::string body =
      R"({"ref":"refs/heads/x","before":"1111111111111111111111111111111111111111","after":"2222222222222222222222222222222222222222","head_commit":{"message":")" +
      message + R"("}})";
  auto e = parse_event(Forge::kGithub, with(body, {{"X-GitHub-Event", "push"}}));
  ASSERT_TRUE(e);
  EXPECT_LE(e->push.commit_message.size(), 4096u);
  EXPECT_EQ(e->push.commit_message.size() % 2, 0u);
}

TEST(DeliveryId, PerForgeHeaders) {
  EXPECT_EQ(*delivery_id(Forge::kGithub,
                         with("", {{"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"}})),
            "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  EXPECT_EQ(*delivery_id(Forge::kGitlab, with("", {{"X-Gitlab-Event-UUID", "u-1"}})), "u-1");
  EXPECT_EQ(*delivery_id(Forge::kGitlab, with("", {{"Idempotency-Key", "k-1"}})), "k-1");
  // Signed GitLab deliveries: the signed webhook-id, whatever the unsigned UUID says.
  EXPECT_EQ(*delivery_id(Forge::kGitlab,
                         with("", {{"X-Gitlab-Event-UUID", "u-2"}, {"webhook-id", "msg_1"}}),
                         DeliveryKey::kSignedWebhookId),
            "msg_1");
  EXPECT_FALSE(delivery_id(Forge::kGitlab, with("", {{"X-Gitlab-Event-UUID", "u-2"}}),
                           DeliveryKey::kSignedWebhookId));
  EXPECT_EQ(*delivery_id(Forge::kGitea, with("", {{"X-Gitea-Delivery", "g-1"}})), "g-1");
  EXPECT_FALSE(delivery_id(Forge::kGithub, with("", {})));
  EXPECT_FALSE(
      delivery_id(Forge::kGithub, with("", {{"X-GitHub-Delivery", std::string(201, 'a')}})));
  EXPECT_FALSE(delivery_id(Forge::kGithub, with("", {{"X-GitHub-Delivery", "a b"}})));
}

}  // namespace
}  // namespace juanie::daemon
