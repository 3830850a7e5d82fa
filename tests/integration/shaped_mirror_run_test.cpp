// Projects with repo.depth and repo.filter, carried by the real daemon: a signed push, a run to
// its end, and the mirror the daemon made looked at with the git CLI.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>

#include "integration/daemon_fixture.hpp"
#include "support/git_servers.hpp"
#include "support/shell.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

class ShapedMirrorRunTest : public ::testing::Test {
 protected:
  ShapedMirrorRunTest() : d("", true) {}

  void SetUp() override {
    d.home().write("secrets/app.webhook", kGithubSecret);
    const std::string bare = (d.home() / "app.git").string();
    // As a forge serves it: filters allowed, and the wants of a lazy fetch.
    sh("git init -q --bare -b develop " + bare + " && git -C " + bare +
       " config uploadpack.allowFilter true && git -C " + bare +
       " config uploadpack.allowAnySHA1InWant true && git init -q -b develop " + work() +
       " && git -C " + work() + " remote add origin " + bare);
  }

  void project(const std::string& url, const std::string& repo_extra) {
    d.home().write("projects.d/app.yaml",
                   "name: app\nrepo: {url: \"" + url +
                       "\", forge: github, webhook_secret: app.webhook" + repo_extra +
                       "}\nbranches: [{match: develop, environment: dev}]\n");
  }

  std::string work() const { return (d.home() / "work").string(); }

  // A commit with `pipeline` and DATA holding `data`, pushed; its id.
  std::string commit(const std::string& pipeline, const std::string& data) {
    d.home().write("work/.juanie.yml", pipeline);
    d.home().write("work/DATA", data);
    sh("git -C " + work() + " add -A && git -C " + work() +
       " -c user.email=dev@example.com -c user.name=Dev commit -qm change && git -C " + work() +
       " push -q origin develop");
    std::string sha = sh("git -C " + work() + " rev-parse HEAD");
    sha.pop_back();
    return sha;
  }

  std::int64_t push(const std::string& sha) {
    const std::string body = push_body("refs/heads/develop", sha);
    auto r = d.request("POST", "/hooks/github/app", body,
                       github_headers(body, "shaped-" + sha + std::to_string(++deliveries_)));
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? json::parse(r.body).at("run").as_int64() : 0;
  }

  std::string log_of(std::int64_t run) {
    return d.api("/api/v1/runs/" + std::to_string(run) + "/log").body;
  }

  // The one mirror the daemon keeps (data/mirrors/app.git-<hash>).
  fs::path mirror() {
    for (const auto& entry : fs::directory_iterator(d.home() / "data/mirrors")) {
      if (entry.is_directory()) return entry.path();
    }
    ADD_FAILURE() << "no mirror";
    return {};
  }

  std::string git(const std::string& args) {
    std::string out = sh("git -C " + mirror().string() + " " + args);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  Daemon d;
  int deliveries_ = 0;
};

const std::string kShowData = "steps:\n  - {name: show, commands: [\"cat DATA\"]}\n";

TEST_F(ShapedMirrorRunTest, ADepthOfOneRunsAPushFromAShallowMirror) {
  project("file://" + (d.home() / "app.git").string(), ", depth: 1");
  ASSERT_TRUE(d.start()) << d.log();
  for (int i = 1; i <= 3; ++i) commit(kShowData, "history " + std::to_string(i) + "\n");
  const auto run = push(commit(kShowData, "the tip\n"));
  d.wait_run(run, "succeeded");
  EXPECT_NE(log_of(run).find("the tip"), std::string::npos) << log_of(run);
  EXPECT_EQ(git("rev-parse --is-shallow-repository"), "true");
  EXPECT_EQ(git("rev-list --count refs/heads/develop"), "1") << "of five commits";

  const auto next = push(commit(kShowData, "the next one\n"));
  d.wait_run(next, "succeeded");
  EXPECT_NE(log_of(next).find("the next one"), std::string::npos) << log_of(next);
  EXPECT_EQ(git("rev-parse --is-shallow-repository"), "true");
}

// Over smart HTTP with the project's token: the run's commit has its blobs, the history's
// blobs are never fetched, and the next push brings only what is new.
TEST_F(ShapedMirrorRunTest, ABlobFilterRunsTheCommitWithItsFilesAndNoOldBlobs) {
  GitHttpServer server(d.home().path(), "x-access-token", "ghp_filter_token");
  d.home().write("secrets/app.git-token", "ghp_filter_token\n");
  project(server.url("app.git"),
          ", filter: blob:none, username: x-access-token, token: app.git-token");
  ASSERT_TRUE(d.start()) << d.log();
  std::vector<std::string> old;
  for (int i = 1; i <= 3; ++i)
    old.push_back(commit(kShowData, "old data " + std::to_string(i) + "\n"));
  const auto run = push(commit(kShowData, "what the run sees\n"));
  d.wait_run(run, "succeeded");
  EXPECT_NE(log_of(run).find("what the run sees"), std::string::npos) << log_of(run);
  EXPECT_EQ(git("config remote.origin.partialclonefilter"), "blob:none");
  EXPECT_EQ(git("rev-list --count refs/heads/develop"), "4") << "every commit, no blob of old";
  for (const auto& sha : old) {
    const auto blob = git("rev-parse " + sha + ":DATA");
    EXPECT_NE(git("rev-list --objects --missing=print " + sha).find("?" + blob), std::string::npos)
        << "the DATA of " << sha << " was never fetched";
  }
  EXPECT_EQ(d.log().find("ghp_"), std::string::npos) << d.log();

  const auto next = push(commit(kShowData, "the next one\n"));
  d.wait_run(next, "succeeded");
  EXPECT_NE(log_of(next).find("the next one"), std::string::npos) << log_of(next);
  EXPECT_NE(git("rev-list --objects --missing=print refs/heads/develop").find("?"),
            std::string::npos)
      << "still partial";
}

}  // namespace
}  // namespace juanie::test
