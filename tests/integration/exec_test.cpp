#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "support/busybox_image.hpp"
#include "support/shell.hpp"
#include "support/temp_dir.hpp"

namespace juanie::test {
namespace {

// A real repository made with the git CLI, with `pipeline` committed as .juanie.yml.
void make_repo(const TempDir& dir, const std::string& pipeline,
               const std::string& branch = "develop") {
  dir.write("repo/.juanie.yml", pipeline);
  dir.write("repo/main.c", "int main(void) { return 0; }\n");
  const std::string repo = (dir / "repo").string();
  ASSERT_EQ(sh_with_status("git -C " + repo + " init -q -b " + branch + " && git -C " + repo +
                           " add -A && git -C " + repo +
                           " -c user.email=dev@example.com -c user.name=Dev commit -qm init")
                .first,
            0);
}

TEST(Exec, RunsTheCommittedPipelineInTheSandbox) {
  TempDir dir;
  make_repo(
      dir,
      "steps:\n"
      "  - name: build\n    commands: [\"cc -o app main.c\", \"./app\"]\n"
      "  - name: test\n    depends_on: [build]\n"
      "    commands: [\"test -x app\", \"echo branch=$JUANIE_BRANCH env=$JUANIE_ENVIRONMENT\"]\n"
      "  - name: release-only\n    commands: [\"false\"]\n    when: {branch: \"release/*\"}\n");
  // An uncommitted change is not part of the run: the daemon would not see it either.
  dir.write("repo/.juanie.yml", "steps: []\n");
  auto [code, out] =
      sh_with_status(std::string(JUANIE_BINARY) + " exec " + (dir / "repo").string());
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("✓ build"), std::string::npos) << out;
  EXPECT_NE(out.find("branch=develop env=dev"), std::string::npos) << out;
  EXPECT_NE(out.find("- release-only skipped: when.branch does not match develop"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("pipeline succeeded"), std::string::npos);

  auto [code2, out2] = sh_with_status(std::string(JUANIE_BINARY) + " exec " +
                                      (dir / "repo").string() + " --branch release/1.0");
  EXPECT_EQ(code2, 1) << out2;
  EXPECT_NE(out2.find("✗ release-only failed: exit code 1"), std::string::npos) << out2;
}

TEST(Exec, RunsInPodmanContainersWithTheDaemonsSandboxSettings) {
  const std::string image = ensure_busybox_image();
  TempDir dir;
  make_repo(dir,
            "steps:\n"
            "  - name: build\n    commands: [\"grep nobody /etc/passwd\", \"echo ok > built\"]\n"
            "  - name: test\n    image: " +
                image + "\n    commands: [\"cat built\"]\n");
  const auto config = dir.write("juanie.yaml",
                                "data_dir: /var/lib/juanie\nprojects_dir: p\n"
                                "sandbox:\n  backend: podman\n  runtime: runc\n"
                                "  default_image: " +
                                    image + "\n");
  auto [code, out] = sh_with_status(std::string(JUANIE_BINARY) + " exec " +
                                    (dir / "repo").string() + " --config " + config.string());
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("sandbox podman"), std::string::npos) << out;
  // The image's /etc/passwd, not the host's.
  EXPECT_NE(out.find("nobody:x:65534:65534:nobody:/nonexistent:/bin/false"), std::string::npos)
      << out;
  EXPECT_NE(out.find("✓ test"), std::string::npos) << out;

  // --backend alone: a step without an image cannot run, and says why.
  auto [code2, out2] = sh_with_status(std::string(JUANIE_BINARY) + " exec " +
                                      (dir / "repo").string() + " --backend podman");
  EXPECT_EQ(code2, 1) << out2;
  EXPECT_NE(out2.find("✗ build failed: step build names no image and sandbox.default_image is "
                      "not set"),
            std::string::npos)
      << out2;
}

TEST(Exec, AFailingStepFailsThePipelineAndSkipsTheRest) {
  TempDir dir;
  make_repo(dir,
            "steps:\n  - {name: lint, commands: [\"echo bad style\", \"exit 4\"]}\n"
            "  - {name: test, commands: [\"true\"]}\n");
  auto [code, out] =
      sh_with_status(std::string(JUANIE_BINARY) + " exec " + (dir / "repo").string());
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("✗ lint failed: exit code 4"), std::string::npos) << out;
  EXPECT_NE(out.find("- test skipped: an earlier step failed"), std::string::npos) << out;
}

TEST(Exec, ABadPipelineFileIsReportedWithItsLine) {
  TempDir dir;
  make_repo(dir, "steps:\n  - name: a\n    commands: [x]\n    retries: 3\n");
  auto [code, out] =
      sh_with_status(std::string(JUANIE_BINARY) + " exec " + (dir / "repo").string());
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(".juanie.yml:4:5: steps[0].retries: unknown key"), std::string::npos) << out;
}

TEST(Exec, NotARepository) {
  TempDir dir;
  auto [code, out] = sh_with_status(std::string(JUANIE_BINARY) + " exec " + dir.path().string());
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("cannot open a git repository"), std::string::npos) << out;
}

// juanie exec reads the pipeline from the commit, as the daemon does: a committed symlink is
// refused by name, not followed.
TEST(Exec, ACommittedSymlinkAsPipelineIsRefusedNotFollowed) {
  TempDir dir;
  make_repo(dir, "steps: []\n");
  const std::string repo = (dir / "repo").string();
  ASSERT_EQ(sh_with_status("cd " + repo +
                           " && ln -sf /dev/zero .juanie.yml && git add -A && "
                           "git -c user.email=dev@example.com -c user.name=Dev commit -qm link")
                .first,
            0);
  auto [code, out] = sh_with_status(std::string(JUANIE_BINARY) + " exec " + repo);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find(".juanie.yml is a symbolic link"), std::string::npos) << out;
}

}  // namespace
}  // namespace juanie::test
