#include "runner/held_step.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
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
std::string shell_output(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env) {
  const std::string script =
      (fs::temp_directory_path() / ("held-line-" + std::to_string(::getpid()))).string();
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
  const std::vector<std::string> hostile = {"it's",  "$(touch /tmp/x)", "`id`",  "a\nb", "\\",
                                            "\"q\"", "; rm -rf /",      "$HOME", "'",    "",
                                            "*"};
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
  EXPECT_NE(read_file(proc / "cgroup").find("/held-"), std::string::npos)
      << read_file(proc / "cgroup");
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

// Polls `done` every 10 ms for up to 10 s.
bool wait_until(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

TEST_F(HeldStepTest, OneMadeForOtherLimitsIsNotGiven) {
  if (!cgroups) GTEST_SKIP() << "needs root and a writable cgroup";
  const CgroupLimits small{64ULL << 20, 32};
  ASSERT_TRUE(ready(small));  // and the next one is made for these limits
  ASSERT_TRUE(wait_until([&] { return cgroups->held_steps().ready_for(small); }));
  EXPECT_FALSE(cgroups->held_steps().take({128ULL << 20, 32}));
  EXPECT_FALSE(cgroups->held_steps().ready_for(small)) << "the one for other limits is gone";
}

TEST_F(HeldStepTest, ADeadOneIsNotGiven) {
  if (!cgroups) GTEST_SKIP() << "needs root and a writable cgroup";
  const CgroupLimits limits{64ULL << 20, 32};
  ASSERT_TRUE(ready(limits));
  ASSERT_TRUE(wait_until([&] { return cgroups->held_steps().ready_for(limits); }));
  std::vector<pid_t> pids;
  for (const auto& base : cgroups->bases()) {
    for (const auto& e : fs::directory_iterator(base)) {
      if (!e.path().filename().string().starts_with("held-")) continue;
      std::istringstream in(read_file(e.path() / "cgroup.procs"));
      for (pid_t pid; in >> pid;) pids.push_back(pid);
    }
  }
  ASSERT_FALSE(pids.empty());
  for (auto pid : pids) ::kill(pid, SIGKILL);
  // Dead (a zombie until reaped), before anyone takes it.
  ASSERT_TRUE(wait_until([&] {
    for (auto pid : pids) {
      const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
      const auto close = stat.rfind(')');
      if (close == std::string::npos || stat.substr(close + 2, 1) != "Z") return false;
    }
    return true;
  }));
  EXPECT_FALSE(cgroups->held_steps().take(limits));
  EXPECT_TRUE(ready(limits)) << "and a live one is made again";
}

}  // namespace
}  // namespace juanie::runner
