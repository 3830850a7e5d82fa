// A run's workspace as the daemon gives it: a copy-on-write view over the pristine tree of its
// branch, moved from commit to commit by what changed. What a step sees must be exactly its
// commit's files, whatever earlier runs' steps did to theirs, and whatever another run of the
// same branch does at the same time.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <string>
#include <thread>

#include "integration/run_fixture.hpp"
#include "support/shell.hpp"

namespace juanie::test {
namespace {

namespace fs = std::filesystem;

// Prints every entry of the workspace between BEGIN and END: kind, path, and a file's content
// or a symlink's target; an executable file is marked as such (all git keeps of a mode).
constexpr const char* kManifest =
    "echo BEGIN\n"
    "find . -mindepth 1 | LC_ALL=C sort | while read -r f; do\n"
    "  if [ -L \"$f\" ]; then echo \"L $f $(readlink \"$f\")\";\n"
    "  elif [ -d \"$f\" ]; then echo \"D $f\";\n"
    "  elif [ -x \"$f\" ]; then echo \"X $f $(cat \"$f\")\";\n"
    "  else echo \"F $f $(cat \"$f\")\"; fi\n"
    "done\n"
    "echo END\n";

std::string between_markers(const std::string& text) {
  const auto begin = text.find("\nBEGIN\n");
  const auto end = text.find("\nEND\n", begin == std::string::npos ? 0 : begin);
  if (begin == std::string::npos || end == std::string::npos) return "(no manifest)\n" + text;
  return text.substr(begin + 7, end + 1 - (begin + 7));
}

class WorkspaceTest : public RunTest {
 protected:
  // The manifest of `sha` as git itself checks it out (git archive keeps modes and links).
  std::string git_manifest(const std::string& sha) {
    const fs::path dir = d.home() / ("git-" + sha);
    fs::create_directories(dir);
    return between_markers("\n" + sh("git -C " + (d.home() / "app.git").string() + " archive " +
                                     sha + " | tar -x -C " + dir.string() + " && cd " +
                                     dir.string() + " && sh manifest.sh"));
  }
  // The manifest the run's first step printed.
  std::string run_manifest(std::int64_t run) {
    return between_markers(d.api("/api/v1/runs/" + std::to_string(run) + "/log").body);
  }
};

// The first step prints what it sees; the second spoils the workspace every way a step can.
constexpr const char* kLookThenSpoil =
    "steps:\n"
    "  - {name: look, commands: [\"sh manifest.sh\"]}\n"
    "  - name: spoil\n"
    "    commands:\n"
    "      - echo spoiled > same/kept.txt\n"
    "      - chmod 000 same/private.txt\n"
    "      - chmod +x same/plain.txt\n"
    "      - chmod -x same/tool.sh\n"
    "      - rm -r same/gone-dir\n"
    "      - ln -sfn /etc/passwd same/link\n"
    "      - echo planted > same/planted.txt\n"
    "      - mkdir same/planted-dir\n";

TEST_F(WorkspaceTest, EachRunSeesExactlyItsCommitsFilesWhateverEarlierStepsDid) {
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_TRUE(d.wait_for_log("workspaces: copy-on-write")) << d.log();
  d.home().write("work/manifest.sh", kManifest);
  // Files every commit keeps as they are (the second step spoils them in every run) and files
  // the second commit changes every way git can.
  d.home().write("work/same/kept.txt", "kept\n");
  d.home().write("work/same/private.txt", "private\n");
  d.home().write("work/same/plain.txt", "plain\n");
  d.home().write("work/same/tool.sh", "echo tool\n");
  d.home().write("work/same/gone-dir/inside.txt", "inside\n");
  d.home().write("work/change/edited.txt", "before\n");
  d.home().write("work/change/deleted.txt", "deleted\n");
  d.home().write("work/change/old-name.txt", "renamed\n");
  d.home().write("work/change/mode.sh", "echo mode\n");
  d.home().write("work/change/file-to-dir", "file\n");
  const std::string w = (d.home() / "work").string();
  sh("cd " + w + " && chmod +x same/tool.sh && ln -s kept.txt same/link && " +
     "ln -s edited.txt change/retargeted && ln -s edited.txt change/link-to-file");
  const std::string first = commit(kLookThenSpoil);
  const auto one = push(first);
  d.wait_run(one, "succeeded");
  EXPECT_EQ(run_manifest(one), git_manifest(first));

  sh("cd " + w + " && echo after > change/edited.txt && git rm -q change/deleted.txt && " +
     "git mv change/old-name.txt change/new-name.txt && chmod +x change/mode.sh && " +
     "ln -sfn new-name.txt change/retargeted && rm change/link-to-file && " +
     "echo now-a-file > change/link-to-file && rm change/file-to-dir && " +
     "mkdir change/file-to-dir && echo in > change/file-to-dir/in.txt && " +
     "mkdir -p added && echo added > added/new.txt");
  const std::string second = commit(kLookThenSpoil);
  const auto two = push(second);
  d.wait_run(two, "succeeded");
  const std::string seen = run_manifest(two);
  EXPECT_EQ(seen, git_manifest(second));
  EXPECT_NE(seen.find("\nF ./same/kept.txt kept\n"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("./same/planted"), std::string::npos) << seen;

  // The same commit once more, on the tree the last run's steps spoiled.
  auto again = d.api_post("/api/v1/runs/" + std::to_string(two) + "/retry");
  ASSERT_EQ(again.status, 202) << again.body;
  const auto three = boost::json::parse(again.body).at("run").as_int64();
  d.wait_run(three, "succeeded");
  EXPECT_EQ(run_manifest(three), git_manifest(second));
  // Nothing of a finished run's workspace is left behind.
  EXPECT_FALSE(fs::exists(d.home() / "data/workspaces" / std::to_string(three)));

  // What the project keeps between runs: its mirror and its branch's pristine trees.
  auto project = d.api("/api/v1/projects/app");
  ASSERT_EQ(project.status, 200) << project.body;
  const auto disk = boost::json::parse(project.body).at("disk");
  EXPECT_GT(disk.at("mirror_bytes").to_number<std::int64_t>(), 0) << project.body;
  EXPECT_GT(disk.at("trees_bytes").to_number<std::int64_t>(), 0) << project.body;
  EXPECT_EQ(d.api("/api/v1/projects/nothing-here").status, 404);
  EXPECT_EQ(d.api_post("/api/v1/projects/app").status, 405);
}

TEST_F(WorkspaceTest, TwoRunsOfOneBranchAtOnceDoNotSeeEachOthersWrites) {
  ASSERT_TRUE(d.start()) << d.log();
  // The first run writes its mark, says so, and looks again a while later; the second writes
  // its own and looks at once, while the first still runs.
  const std::string first = commit(
      "steps:\n  - {name: a, commands: [\"echo one > mark-one\", \"echo wrote-one\", \"sleep 6\", "
      "\"ls mark-*\"]}\n");
  const auto one = push(first);
  bool wrote = false;
  for (int i = 0; i < 1200 && !wrote; ++i) {
    wrote = d.api("/api/v1/runs/" + std::to_string(one) + "/log").body.find("\nwrote-one\n") !=
            std::string::npos;
    if (!wrote) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(wrote) << d.log();
  const std::string second =
      commit("steps:\n  - {name: a, commands: [\"echo two > mark-two\", \"ls mark-*\"]}\n");
  const auto two = push(second);
  d.wait_run(two, "succeeded");
  const auto first_state =
      boost::json::parse(d.api("/api/v1/runs/" + std::to_string(one)).body).at("state");
  EXPECT_EQ(first_state.as_string(), "running") << "the runs did not overlap";
  const std::string two_log = d.api("/api/v1/runs/" + std::to_string(two) + "/log").body;
  EXPECT_NE(two_log.find("\nmark-two\n"), std::string::npos) << two_log;
  EXPECT_EQ(two_log.find("mark-one"), std::string::npos) << two_log;
  d.wait_run(one, "succeeded");
  const std::string one_log = d.api("/api/v1/runs/" + std::to_string(one) + "/log").body;
  EXPECT_NE(one_log.find("\nmark-one\n"), std::string::npos) << one_log;
  EXPECT_EQ(one_log.find("mark-two"), std::string::npos) << one_log;
}

TEST_F(WorkspaceTest, RetryFromTheFailedStepGoesOnFromItsOwnWritesOverItsOwnCommit) {
  ASSERT_TRUE(d.start()) << d.log();
  // `check` fails the first time it sees a workspace and passes the second time, and it
  // checks that the commit's files are still those `build` saw.
  const std::string pipeline =
      "steps:\n"
      "  - {name: build, commands: [\"cp VERSION built-from\"]}\n"
      "  - {name: check, commands: [\"cmp VERSION built-from\", \"cat VERSION\", "
      "\"if [ -f .seen ]; then echo second try; else touch .seen; exit 1; fi\"]}\n";
  const std::string first = commit(pipeline);
  const auto failed = push(first);
  d.wait_run(failed, "failed");
  // Another commit of the branch runs meanwhile: the pristine tree moves on to it.
  const std::string second = commit(pipeline);
  d.wait_run(push(second), "failed");

  auto resumed = d.api_post("/api/v1/runs/" + std::to_string(failed) + "/retry?from=failed");
  ASSERT_EQ(resumed.status, 202) << resumed.body;
  const auto run = boost::json::parse(resumed.body).at("run").as_int64();
  d.wait_run(run, "succeeded");
  const std::string log = d.api("/api/v1/runs/" + std::to_string(run) + "/log").body;
  // Its own commit's VERSION (the first), and the mark its failed attempt left.
  EXPECT_NE(log.find("\n1\n+ if"), std::string::npos) << log;
  EXPECT_NE(log.find("\nsecond try\n"), std::string::npos) << log;
}

}  // namespace
}  // namespace juanie::test
