#include <gtest/gtest.h>

#include <algorithm>

#include "runner/sandbox.hpp"

namespace juanie::runner {
namespace {

bool has_pair(const std::vector<std::string>& argv, const std::string& a, const std::string& b) {
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == a && argv[i + 1] == b) return true;
  }
  return false;
}

bool has(const std::vector<std::string>& argv, const std::string& a) {
  return std::find(argv.begin(), argv.end(), a) != argv.end();
}

SandboxSpec spec() {
  SandboxSpec s;
  s.workspace = "/var/lib/juanie/workspaces/17";
  s.env = {{"CI", "true"}, {"JUANIE_RUN", "17"}};
  s.commands = {"make test"};
  return s;
}

TEST(BwrapArgv, IsolatesByDefault) {
  const auto argv = bwrap_argv(spec());
  EXPECT_EQ(argv.front(), "bwrap");
  for (const char* flag : {"--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                           "--unshare-net", "--die-with-parent", "--new-session", "--clearenv"}) {
    EXPECT_TRUE(has(argv, flag)) << flag;
  }
  EXPECT_TRUE(has_pair(argv, "--cap-drop", "ALL"));
  EXPECT_TRUE(has_pair(argv, "--ro-bind", "/usr"));
  EXPECT_TRUE(has_pair(argv, "--tmpfs", "/tmp"));
  EXPECT_TRUE(has_pair(argv, "--bind", "/var/lib/juanie/workspaces/17"));
  EXPECT_TRUE(has_pair(argv, "--chdir", "/workspace"));
  EXPECT_TRUE(has_pair(argv, "--setenv", "JUANIE_RUN"));
  EXPECT_TRUE(has(argv, "--nproc=512"));
  // The daemon's own state directory is never bound.
  EXPECT_FALSE(has(argv, "/var/lib/juanie"));
}

TEST(BwrapArgv, NetworkOnlyWhenAsked) {
  auto s = spec();
  s.network = true;
  EXPECT_FALSE(has(bwrap_argv(s), "--unshare-net"));
}

TEST(BwrapArgv, HiddenPathsUnderBoundRootsAreCovered) {
  auto s = spec();
  s.hidden = {"/etc/juanie", "/etc/juanie/secrets/", "/var/lib/juanie",
              "/run/credentials/juanie.service"};
  const auto argv = bwrap_argv(s);
  EXPECT_TRUE(has_pair(argv, "--tmpfs", "/etc/juanie"));
  EXPECT_TRUE(has_pair(argv, "--tmpfs", "/etc/juanie/secrets/"));
  // Not under a bound root: invisible already, nothing to cover.
  EXPECT_FALSE(has_pair(argv, "--tmpfs", "/var/lib/juanie"));
}

TEST(StepScript, EchoesEachCommandAndStopsAtTheFirstFailure) {
  EXPECT_EQ(
      step_script({"make", "echo 'it''s'"}),
      "set -e\nprintf '+ %s\\n' 'make'\nmake\nprintf '+ %s\\n' 'echo '\\''it'\\'''\\''s'\\'''\n"
      "echo 'it''s'\n");
}

}  // namespace
}  // namespace juanie::runner
