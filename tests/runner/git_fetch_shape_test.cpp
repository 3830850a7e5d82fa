// Shallow and partial mirrors (repo.depth, repo.filter): made and fetched by the real git CLI
// from real repositories served over file://, smart HTTP (`git http-backend` behind basic
// authentication) and ssh, then read by libgit2 as every mirror is.
#include <gtest/gtest.h>

#include "runner/commit_graph.hpp"
#include "runner/git_checkout.hpp"
#include "runner/git_mirror.hpp"
#include "support/git_servers.hpp"
#include "support/shell.hpp"
#include "support/temp_dir.hpp"

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;

class GitFetchShapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A forge's settings: filters and the wants of a lazy fetch are served.
    run("git init -q --bare -b main " + bare() + " && git -C " + bare() +
        " config uploadpack.allowFilter true && git -C " + bare() +
        " config uploadpack.allowAnySHA1InWant true && git init -q -b main " + work());
    for (int i = 1; i <= 4; ++i) shas.push_back(commit("version " + std::to_string(i)));
  }

  std::string bare() const { return (home / "repos/app.git").string(); }
  std::string work() const { return (home / "work").string(); }

  std::string run(const std::string& command) {
    int status = 0;
    auto out = test::sh(command, &status);
    EXPECT_EQ(status, 0) << command << "\n" << out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  // A commit whose README says `text` (and a file of its own), pushed; its id.
  std::string commit(const std::string& text) {
    const std::string n = std::to_string(shas.size() + 1);
    return run("cd " + work() + " && echo '" + text + "' > README && echo " + n + " > file" + n +
               " && git add -A && git -c user.email=dev@example.com -c user.name=Dev commit -qm '" +
               text + "' && git push -q " + bare() + " main && git rev-parse HEAD");
  }

  std::string in_mirror(const fs::path& mirror, const std::string& args) {
    return run("git -C " + mirror.string() + " " + args);
  }

  // The objects reachable from every ref that the mirror lacks.
  int missing(const fs::path& mirror) {
    const auto out = in_mirror(mirror, "rev-list --objects --all --missing=print");
    int n = 0;
    for (std::size_t at = 0; (at = out.find('?', at)) != std::string::npos; ++at) ++n;
    return n;
  }

  test::TempDir home;
  GitLibrary git;
  std::vector<std::string> shas;
};

TEST_F(GitFetchShapeTest, ADepthOfOneKeepsTheMirrorShallowAndFollowsPushes) {
  GitMirrors mirrors(home / "mirrors");
  const std::string url = "file://" + bare();
  auto mirror = mirrors.update(url, {}, {1, ""});
  ASSERT_TRUE(mirror) << mirror.error().message;
  EXPECT_EQ(in_mirror(*mirror, "rev-parse --is-shallow-repository"), "true");
  EXPECT_EQ(in_mirror(*mirror, "rev-list --count main"), "1");
  ASSERT_TRUE(mirrors.materialize(url, shas.back()));
  ASSERT_TRUE(checkout_commit(*mirror, shas.back(), home / "ws"));
  EXPECT_EQ(test::read_file(home / "ws/README"), "version 4\n");

  const auto fifth = commit("version 5");
  ASSERT_TRUE(mirrors.update(url, {}, {1, ""}));
  EXPECT_EQ(mirrors.resolve(url, "refs/heads/main").value_or(""), fifth);
  EXPECT_EQ(in_mirror(*mirror, "rev-parse --is-shallow-repository"), "true");
  EXPECT_FALSE(
      fs::exists(fs::path(*mirror) / "objects/" / (shas[0].substr(0, 2)) / shas[0].substr(2)));
  EXPECT_NE(in_mirror(*mirror, "cat-file -t " + shas[0] + " 2>&1 || true").find("fatal"),
            std::string::npos)
      << "the first commit was never fetched";
  ASSERT_TRUE(checkout_commit(*mirror, fifth, home / "ws5"));
  EXPECT_EQ(test::read_file(home / "ws5/README"), "version 5\n");
}

// History past the cut is not "not an ancestor": the deployer's comparisons say they cannot
// tell, and why; within the depth they are answered, both ways.
TEST_F(GitFetchShapeTest, AShallowMirrorAnswersAncestryWithinItsDepthAndSaysWhenItCannot) {
  // A branch off the second commit, pushed too: not an ancestor of main, known for sure only
  // when the mirror holds where they part.
  const std::string side = run("cd " + work() + " && git checkout -q -b side " + shas[1] +
                               " && echo side > SIDE && git add -A && git -c "
                               "user.email=dev@example.com -c user.name=Dev commit -qm side && "
                               "git push -q " +
                               bare() +
                               " side && git checkout -q main && "
                               "git rev-parse side");
  GitMirrors mirrors(home / "mirrors");
  const std::string url = bare();
  auto shallow = mirrors.update(url, {}, {1, ""});
  ASSERT_TRUE(shallow) << shallow.error().message;
  const auto fifth = commit("version 5");
  ASSERT_TRUE(mirrors.update(url, {}, {1, ""}));  // holds the fourth and fifth, cut at the fifth

  auto parent = is_strict_ancestor(*shallow, shas[3], fifth);
  ASSERT_TRUE(parent) << parent.error().message;
  EXPECT_TRUE(*parent) << "the previous tip comes before the new one";
  for (const auto& [older, newer] : {std::pair{shas[0], fifth}, std::pair{side, fifth}}) {
    auto far = is_strict_ancestor(*shallow, older, newer);
    ASSERT_FALSE(far) << older << " before " << newer << " answered " << *far;
    EXPECT_NE(far.error().message.find("the mirror is shallow (repo.depth)"), std::string::npos)
        << far.error().message;
  }

  auto backwards = is_strict_ancestor(*shallow, fifth, shas[3]);
  ASSERT_TRUE(backwards) << backwards.error().message;
  EXPECT_FALSE(*backwards) << "the new tip does not come before the one it descends from";

  auto deep = mirrors.update(url, {}, {4, ""});  // main from the second commit; side whole
  ASSERT_TRUE(deep) << deep.error().message;
  auto apart = is_strict_ancestor(*deep, side, fifth);
  ASSERT_TRUE(apart) << apart.error().message;
  EXPECT_FALSE(*apart) << "a side branch whose fork point is held is surely not an ancestor";
  auto child = is_strict_ancestor(*deep, fifth, shas[3]);
  ASSERT_TRUE(child) << child.error().message;
  EXPECT_FALSE(*child) << "a child is no ancestor of its parent";
  auto near = is_strict_ancestor(*deep, shas[2], fifth);
  ASSERT_TRUE(near) << near.error().message;
  EXPECT_TRUE(*near);
}

TEST_F(GitFetchShapeTest, ABlobFilterFetchesOnlyTheBlobsOfTheCommitsThatRun) {
  GitMirrors mirrors(home / "mirrors");
  const std::string url = "file://" + bare();
  auto mirror = mirrors.update(url, {}, {0, "blob:none"});
  ASSERT_TRUE(mirror) << mirror.error().message;
  EXPECT_EQ(in_mirror(*mirror, "rev-list --count main"), "4") << "the whole history of commits";
  const int before = missing(*mirror);
  EXPECT_GE(before, 4 + 4) << "no blob at all: four READMEs and four files";

  // libgit2 never fetches: without materialize, a checkout of the partial mirror fails.
  EXPECT_FALSE(checkout_commit(*mirror, shas.back(), home / "unready"));
  auto ready = mirrors.materialize(url, shas.back());
  ASSERT_TRUE(ready) << ready.error().message;
  auto checked = checkout_commit(*mirror, shas.back(), home / "ws");
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_EQ(test::read_file(home / "ws/README"), "version 4\n");
  EXPECT_EQ(test::read_file(home / "ws/file1"), "1\n");
  EXPECT_EQ(missing(*mirror), before - 5) << "the run's README and its four files, no more";
  EXPECT_NE(in_mirror(*mirror, "rev-list --objects --missing=print " + shas[0]).find("?"),
            std::string::npos)
      << "the first commit's README is still not fetched";

  const auto fifth = commit("version 5");
  ASSERT_TRUE(mirrors.update(url, {}, {0, "blob:none"}));
  ASSERT_TRUE(mirrors.materialize(url, fifth));
  ASSERT_TRUE(mirrors.materialize(url, fifth)) << "a second time has nothing to fetch";
  ASSERT_TRUE(checkout_commit(*mirror, fifth, home / "ws5"));
  EXPECT_EQ(test::read_file(home / "ws5/README"), "version 5\n");
  EXPECT_EQ(test::read_file(home / "ws5/file5"), "5\n");
}

// A server that refuses filters: git warns and fetches everything, and runs still work.
TEST_F(GitFetchShapeTest, AServerWithoutFiltersGivesAWholeMirrorThatStillWorks) {
  run("git -C " + bare() + " config uploadpack.allowFilter false");
  GitMirrors mirrors(home / "mirrors");
  const std::string url = "file://" + bare();
  auto mirror = mirrors.update(url, {}, {0, "blob:none"});
  ASSERT_TRUE(mirror) << mirror.error().message;
  EXPECT_EQ(missing(*mirror), 0);
  ASSERT_TRUE(mirrors.materialize(url, shas.back()));
  ASSERT_TRUE(checkout_commit(*mirror, shas[1], home / "ws"));
  EXPECT_EQ(test::read_file(home / "ws/README"), "version 2\n");
}

// The mirror remembers how it was made: another depth or filter makes it afresh, and going
// back to whole gives the whole history again (libgit2 never fetches into a shallow mirror).
TEST_F(GitFetchShapeTest, ChangingTheShapeMakesTheMirrorAfresh) {
  GitMirrors mirrors(home / "mirrors");
  const std::string url = bare();
  auto whole = mirrors.update(url);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(in_mirror(*whole, "rev-list --count main"), "4");
  auto shallow = mirrors.update(url, {}, {1, ""});
  ASSERT_TRUE(shallow) << shallow.error().message;
  EXPECT_EQ(in_mirror(*shallow, "rev-parse --is-shallow-repository"), "true");
  EXPECT_EQ(in_mirror(*shallow, "rev-list --count main"), "1");
  auto partial = mirrors.update(url, {}, {0, "blob:limit=1k"});
  ASSERT_TRUE(partial) << partial.error().message;
  EXPECT_EQ(in_mirror(*partial, "rev-parse --is-shallow-repository"), "false");
  EXPECT_EQ(in_mirror(*partial, "config remote.origin.partialclonefilter"), "blob:limit=1024");
  auto back = mirrors.update(url);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(in_mirror(*back, "rev-parse --is-shallow-repository"), "false");
  EXPECT_EQ(in_mirror(*back, "rev-list --count main"), "4");
  EXPECT_EQ(missing(*back), 0);
  EXPECT_EQ(in_mirror(*back, "config --default none remote.origin.promisor"), "none");
}

// Over smart HTTP the token reaches git through a credential helper reading a file of the
// daemon's; a wrong one is refused, and no token is ever said back.
TEST_F(GitFetchShapeTest, ATokenOpensAPrivateRepositoryForShallowAndPartialFetches) {
  test::GitHttpServer server(home / "repos", "x-access-token", "ghp_right_token");
  GitMirrors mirrors(home / "mirrors");
  const auto url = server.url("app.git");

  auto anonymous = mirrors.update(url, {}, {1, ""});
  ASSERT_FALSE(anonymous);
  EXPECT_FALSE(fs::exists(mirrors.path_for(url))) << "no empty mirror is left to pass for one";
  auto wrong = mirrors.update(url, {"x-access-token", "ghp_wrong_token", "", ""}, {1, ""});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("refused the configured credentials"), std::string::npos)
      << wrong.error().message;
  EXPECT_EQ(wrong.error().message.find("ghp_wrong_token"), std::string::npos);

  // What a daemon killed in the middle of a git command left behind goes at the next one.
  const fs::path stale = mirrors.path_for(url).string() + ".git-Zq9xYw";
  fs::create_directories(stale);
  home.write(stale.lexically_relative(home.path()).string() + "/credentials", "password=ghp_x\n");
  const GitCredentials right{"x-access-token", "ghp_right_token", "", ""};
  auto mirror = mirrors.update(url, right, {1, "blob:none"});
  ASSERT_TRUE(mirror) << mirror.error().message;
  EXPECT_EQ(in_mirror(*mirror, "rev-parse --is-shallow-repository"), "true");
  auto ready = mirrors.materialize(url, shas.back(), right);
  ASSERT_TRUE(ready) << ready.error().message;
  ASSERT_TRUE(checkout_commit(*mirror, shas.back(), home / "ws"));
  EXPECT_EQ(test::read_file(home / "ws/README"), "version 4\n");
  EXPECT_EQ(in_mirror(*mirror, "config --list").find("ghp_right_token"), std::string::npos);
  // Nothing of the credentials is left beside the mirror once git is done.
  EXPECT_FALSE(fs::exists(stale));
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(home / "mirrors")) {
    ++entries;
    EXPECT_TRUE(entry.path() == *mirror || entry.path() == mirror->string() + ".lock")
        << entry.path();
  }
  EXPECT_EQ(entries, 2);
}

// The token is git's for the URL's own host and port: a redirect to another host (a renamed
// repository, or a hostile server sending it elsewhere) is asked for credentials and gets none.
TEST_F(GitFetchShapeTest, ATokenIsNotGivenToTheHostARedirectPointsTo) {
  test::GitHttpServer server(home / "repos", "x-access-token", "ghp_right_token");
  GitMirrors mirrors(home / "mirrors");
  const GitCredentials right{"x-access-token", "ghp_right_token", "", ""};
  ASSERT_TRUE(mirrors.update(server.url("app.git"), right, {1, ""})) << "the token is right";
  const auto moved = server.url("moved/app.git");
  auto refused = mirrors.update(moved, right, {1, ""});
  ASSERT_FALSE(refused) << "localhost, where the redirect points, was given the token";
  EXPECT_NE(refused.error().message.find("could not read Username for 'http://localhost:"),
            std::string::npos)
      << refused.error().message;
}

TEST_F(GitFetchShapeTest, AnSshKeyOpensAPrivateRepositoryForAShallowFetch) {
  test::GitSshServer server(home / "sshd");
  GitMirrors mirrors(home / "mirrors");
  const auto url = server.url(home / "repos/app.git");
  auto unknown =
      mirrors.update(url, {"", "", server.client_key(), server.other_known_hosts()}, {1, ""});
  ASSERT_FALSE(unknown) << "a host key not in known_hosts is refused";
  auto mirror = mirrors.update(url, {"", "", server.client_key(), server.known_hosts()}, {1, ""});
  ASSERT_TRUE(mirror) << mirror.error().message;
  EXPECT_EQ(in_mirror(*mirror, "rev-list --count main"), "1");
  ASSERT_TRUE(checkout_commit(*mirror, shas.back(), home / "ws"));
  EXPECT_EQ(test::read_file(home / "ws/README"), "version 4\n");
}

}  // namespace
}  // namespace juanie::runner
