#include "runner/held_step.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "runner/step_process.hpp"

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What a real /bin/sh prints for exec_line(argv, env): each argument exactly as given.
std::string shell_output(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  const std::string script = (fs::temp_directory_path() / ("held-line-" + std::to_string(::getpid()))).string();
  std::ofstream(script) << exec_line(argv, env);
  std::string out;
  FILE* pipe = ::popen(("env -i /bin/sh " + script + " 2>&1").c_str(), "r");
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  ::pclose(pipe);
  fs::remove(script);
  return out;
}

TEST(ExecLine, EveryByteOfEveryArgumentReachesTheProgramAsGiven) {
  const std::vector<std::string> hostile = {"it's", "$(touch /tmp/x)", "`id`", "a\nb", "\\",
                                            "\"q\"", "; rm -rf /", "$HOME", "'", "", "*"};
  std::vector<std::string> argv = {"/usr/bin/printf", "<%s>"};
  argv.insert(argv.end(), hostile.begin(), hostile.end());
  std::string expected;
  for (const auto& a : hostile) expected += "<" + a + ">";
  EXPECT_EQ(shell_output(argv, {}), expected);
}

TEST(ExecLine, TheEnvironmentIsExactlyTheOneGiven) {
  const auto out = shell_output({"/usr/bin/env"}, {"PATH=/usr/bin:/bin", "ODD=a'b c"});
  EXPECT_EQ(out, "PATH=/usr/bin:/bin\nODD=a'b c\n");
}

class HeldStepTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    auto opened = StepCgroups::open();
    if (opened) cgroups = std::move(*opened);
  }
  static void TearDownTestSuite() { cgroups.reset(); }

  // The held step for `limits`, once the pool has made it.
  std::optional<HeldStep> ready(const CgroupLimits& limits) {
    for (int i = 0; i < 200; ++i) {
      if (auto held = cgroups->held_steps().take(limits)) return held;
      std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
  }

  static inline std::unique_ptr<StepCgroups> cgroups;
};

TEST_F(HeldStepTest, IsInItsOwnCgroupFirstForTheOomKillerAndHoldsNoOtherDescriptor) {
  if (!cgroups) GTEST_SKIP() << "needs root and a writable cgroup";
  auto held = ready({64ULL << 20, 32});
  ASSERT_TRUE(held);
  const fs::path proc = "/proc/" + std::to_string(held->pid);
  EXPECT_NE(read_file(proc / "cgroup").find("/held-"), std::string::npos) << read_file(proc / "cgroup");
  EXPECT_EQ(read_file(proc / "oom_score_adj"), "1000\n");
  std::vector<std::string> fds;
  for (const auto& e : fs::directory_iterator(proc / "fd")) fds.push_back(e.path().filename());
  std::sort(fds.begin(), fds.end());
  EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2"}));
  for (const auto& dir : held->cgroup.dirs()) {
    if (fs::exists(dir / "memory.limit_in_bytes")) {
      EXPECT_EQ(read_file(dir / "memory.limit_in_bytes"), std::to_string(64ULL << 20) + "\n");
    }
    if (fs::exists(dir / "pids.max")) {
      EXPECT_EQ(read_file(dir / "pids.max"), "32\n");
    }
  }
}

TEST_F(HeldStepTest, RunsTheStepsCommandInThatCgroupWithItsOutputAndExitCode) {
  if (!cgroups) GTEST_SKIP() << "needs root and a writable cgroup";
  auto held = ready({64ULL << 20, 32});
  ASSERT_TRUE(held);
  const std::string cgroup_name = held->cgroup.dirs().front().filename();
  ProcessOptions options;
  options.argv = {"sh", "-c", "cat /proc/self/cgroup; ls /proc/self/fd; echo \"$ONLY\"; exit 7"};
  options.env = {"ONLY=this"};
  options.held = &*held;
  std::string out;
  auto outcome = run_process(options, [&](std::string_view b) { out += b; });
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 7);
  EXPECT_NE(out.find("/" + cgroup_name), std::string::npos) << out;
  EXPECT_NE(out.find("\n0\n1\n2\n3\nthis\n"), std::string::npos) << out;  // 3: ls's own
  EXPECT_EQ(held->pid, -1) << "reaped";
}

TEST_F(HeldStepTest, OneMadeForOtherLimitsIsNotGiven) {
  if (!cgroups) GTEST_SKIP() << "needs root and a writable cgroup";
  ASSERT_TRUE(ready({64ULL << 20, 32}));
  (void)cgroups->held_steps().take({64ULL << 20, 32});  // leaves one being made for these
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(cgroups->held_steps().take({128ULL << 20, 32}));
}

TEST_F(HeldStepTest, ADeadOneIsNotGiven) {
  if (!cgroups) GTEST_SKIP() << "needs root and a writable cgroup";
  auto first = ready({64ULL << 20, 32});
  ASSERT_TRUE(first);
  first.reset();
  // The next one is being made; kill it once it is there, before anyone takes it.
  std::this_thread::sleep_for(300ms);
  std::string pids;
  for (const auto& base : cgroups->bases()) {
    for (const auto& e : fs::directory_iterator(base)) {
      if (e.path().filename().string().starts_with("held-")) pids += read_file(e.path() / "cgroup.procs");
    }
  }
  ASSERT_FALSE(pids.empty());
  std::istringstream in(pids);
  for (pid_t pid; in >> pid;) ::kill(pid, SIGKILL);
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(cgroups->held_steps().take({64ULL << 20, 32}));
  EXPECT_TRUE(ready({64ULL << 20, 32})) << "and a live one is made again";
}

}  // namespace
}  // namespace juanie::runner
