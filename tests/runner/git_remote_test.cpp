// Fetching private repositories: a real `git http-backend` behind basic authentication and a
// real sshd, both on 127.0.0.1, and juanie's libgit2 mirrors with credentials.
#include <gtest/gtest.h>

#include "runner/git_checkout.hpp"
#include "runner/git_mirror.hpp"
#include "runner/known_hosts.hpp"
#include "support/busybox_image.hpp"
#include "support/git_servers.hpp"
#include "support/temp_dir.hpp"

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;

class GitRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string work = (home / "work").string();
    const std::string bare = (home / "repos/app.git").string();
    int status = 0;
    const auto out = test::sh(
        "git init -q --bare -b main " + bare + " && git init -q -b main " + work +
            " && echo hi > " + work + "/README && git -C " + work + " add -A && git -C " + work +
            " -c user.email=dev@example.com -c user.name=Dev commit -qm first && git -C " + work +
            " push -q " + bare + " main && git -C " + work + " rev-parse HEAD",
        &status);
    ASSERT_EQ(status, 0) << out;
    sha = out.substr(out.size() - 41, 40);
  }

  test::TempDir home;
  GitLibrary git;
  std::string sha;
};

// A new mirror of a repository on this machine is filled by `git fetch`, later fetches by
// libgit2 (see git_mirror.cpp): either way it holds every ref and follows new commits and
// deleted branches, by path or file:// alike.
TEST_F(GitRemoteTest, ALocalRepositoryIsMirroredWithEveryRefAndFollowed) {
  GitMirrors mirrors(home / "mirrors");
  const fs::path bare = home / "repos/app.git";
  for (const std::string& url : {bare.string(), "file://" + bare.string()}) {
    auto mirror = mirrors.update(url);
    ASSERT_TRUE(mirror) << mirror.error().message;
    ASSERT_EQ(mirrors.resolve(url, "refs/heads/main").value_or(""), sha) << url;
  }
  const std::string work = (home / "work").string();
  int status = 0;
  auto out = test::sh("git -C " + work + " -c user.email=dev@example.com -c user.name=Dev " +
                          "commit -q --allow-empty -m second && git -C " + work + " push -q " +
                          bare.string() + " main:topic refs/heads/main:refs/pull/7/head && " +
                          "git -C " + work + " rev-parse HEAD",
                      &status);
  ASSERT_EQ(status, 0) << out;
  const std::string second = out.substr(out.size() - 41, 40);
  const std::string url = bare.string();
  ASSERT_TRUE(mirrors.update(url));
  EXPECT_EQ(mirrors.resolve(url, "refs/heads/topic").value_or(""), second);
  EXPECT_EQ(mirrors.resolve(url, "refs/pull/7/head").value_or(""), second);
  EXPECT_EQ(mirrors.resolve(url, "refs/heads/main").value_or(""), sha);
  auto checked = checkout_commit(*mirrors.update(url), second, home / "ws");
  EXPECT_TRUE(checked) << checked.error().message;
  EXPECT_TRUE(fs::exists(home / "ws/README"));

  out = test::sh("git -C " + bare.string() + " branch -D topic", &status);
  ASSERT_EQ(status, 0) << out;
  ASSERT_TRUE(mirrors.update(url));
  EXPECT_FALSE(mirrors.resolve(url, "refs/heads/topic")) << "a deleted branch stays deleted";
}

TEST_F(GitRemoteTest, AMissingLocalRepositoryIsAnErrorNamingIt) {
  GitMirrors mirrors(home / "mirrors");
  const std::string url = (home / "repos/gone.git").string();
  auto mirror = mirrors.update(url);
  ASSERT_FALSE(mirror);
  EXPECT_EQ(mirror.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(mirror.error().message.find("cannot fetch " + url), std::string::npos)
      << mirror.error().message;
  EXPECT_NE(mirror.error().message.find("does not appear to be a git repository"),
            std::string::npos)
      << "git's own reason is kept: " << mirror.error().message;
  EXPECT_FALSE(fs::exists(mirrors.path_for(url))) << "no empty mirror is left to pass for one";
}

TEST_F(GitRemoteTest, HttpsTokenOpensAPrivateRepository) {
  test::GitHttpServer server(home / "repos", "x-access-token", "ghp_right_token");
  GitMirrors mirrors(home / "mirrors");
  const auto url = server.url("app.git");

  auto anonymous = mirrors.update(url);
  ASSERT_FALSE(anonymous);
  EXPECT_NE(anonymous.error().message.find("cannot fetch " + url), std::string::npos)
      << anonymous.error().message;

  auto wrong = mirrors.update(url, {"x-access-token", "ghp_wrong_token", "", ""});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("cannot fetch " + url), std::string::npos);
  EXPECT_NE(wrong.error().message.find("refused the configured credentials"), std::string::npos)
      << wrong.error().message;
  EXPECT_EQ(wrong.error().message.find("ghp_wrong_token"), std::string::npos);

  auto mirror = mirrors.update(url, {"x-access-token", "ghp_right_token", "", ""});
  ASSERT_TRUE(mirror) << mirror.error().message;
  ASSERT_TRUE(checkout_commit(*mirror, sha, home / "ws"));
  EXPECT_EQ(test::read_file(home / "ws/README"), "hi\n");
}

TEST_F(GitRemoteTest, SshKeyOpensAPrivateRepositoryWhoseHostKeyIsKnown) {
  test::GitSshServer server(home / "sshd");
  GitMirrors mirrors(home / "mirrors");
  const auto url = server.url(home / "repos/app.git");

  auto mirror = mirrors.update(url, {"", "", server.client_key(), server.known_hosts()});
  ASSERT_TRUE(mirror) << mirror.error().message;
  ASSERT_TRUE(checkout_commit(*mirror, sha, home / "ws"));
  EXPECT_EQ(test::read_file(home / "ws/README"), "hi\n");
}

TEST_F(GitRemoteTest, AnUnknownSshHostKeyIsRefused) {
  test::GitSshServer server(home / "sshd");
  GitMirrors mirrors(home / "mirrors");
  const auto url = server.url(home / "repos/app.git");
  for (const std::string& known : {std::string(), server.other_known_hosts()}) {
    auto mirror = mirrors.update(url, {"", "", server.client_key(), known});
    ASSERT_FALSE(mirror) << known;
    EXPECT_NE(mirror.error().message.find("is not in the configured known_hosts"),
              std::string::npos)
        << mirror.error().message;
  }
}

TEST_F(GitRemoteTest, AnSshKeyTheServerDoesNotKnowIsRefused) {
  test::GitSshServer server(home / "sshd");
  test::GitSshServer other(home / "sshd-other");  // its client key is not authorized above
  GitMirrors mirrors(home / "mirrors");
  auto mirror = mirrors.update(server.url(home / "repos/app.git"),
                               {"", "", other.client_key(), server.known_hosts()});
  ASSERT_FALSE(mirror);
  EXPECT_NE(mirror.error().message.find("cannot fetch"), std::string::npos);
}

TEST(KnownHosts, MatchesPlainAndBracketedHostsOnly) {
  using namespace std::string_literals;
  const std::string key = "\x00\x00\x00\x0bssh-ed25519-key-bytes"s;
  const std::string blob = "AAAAC3NzaC1lZDI1NTE5LWtleS1ieXRlcw==";  // base64 of `key`
  EXPECT_TRUE(known_host_key("git.example.com,10.0.0.1 ssh-ed25519 " + blob + "\n",
                             "git.example.com", key));
  EXPECT_TRUE(known_host_key("# comment\n[git.example.com]:2222 ssh-ed25519 " + blob,
                             "git.example.com", key));
  EXPECT_FALSE(known_host_key("other.example.com ssh-ed25519 " + blob, "git.example.com", key));
  EXPECT_FALSE(known_host_key("|1|c2FsdA==|aGFzaA== ssh-ed25519 " + blob, "git.example.com", key));
  EXPECT_FALSE(
      known_host_key("@revoked git.example.com ssh-ed25519 " + blob, "git.example.com", key));
  EXPECT_FALSE(known_host_key("git.example.com ssh-ed25519", "git.example.com", key));
  EXPECT_FALSE(known_host_key("git.example.com ssh-ed25519 " + blob, "git.example.com", ""));
}

}  // namespace
}  // namespace juanie::runner
