// The sandbox escape battery: real bubblewrap, real processes. Each case is something a
// hostile or broken step would try; each must fail or be contained.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "pipelines/pipeline_file.hpp"
#include "pipelines/plan.hpp"
#include "runner/pipeline_run.hpp"
#include "runner/step_cgroup.hpp"
#include "support/busybox_image.hpp"
#include "support/listener.hpp"
#include "support/processes.hpp"
#include "support/shell.hpp"
#include "support/temp_dir.hpp"

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::Listener;

// Every case runs on each backend: bubblewrap on the host's /usr, and podman containers of a
// local busybox image.
class SandboxTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    image = test::ensure_busybox_image();
    // The build machines have cgroup v1 and run the tests as root; a host where no cgroup is
    // writable cannot show that the limits hold, so the battery fails there.
    auto opened = StepCgroups::open();
    ASSERT_TRUE(opened) << opened.error().message;
    cgroups = std::move(*opened);
  }
  static void TearDownTestSuite() { cgroups.reset(); }

  const std::string& backend() const { return GetParam(); }

  void SetUp() override {
    // Stand-ins for what the daemon owns: a database, a config file and a secrets directory,
    // one of them under /etc where the sandbox binds the host's /etc read-only.
    data_dir = home / "data";
    fs::create_directories(data_dir);
    std::ofstream(data_dir / "juanie.db") << "SQLite format 3";
    std::ofstream(home / "juanie.yaml") << "data_dir: data\n";
    etc_secrets = fs::path("/etc") / ("juanie-sandbox-test-" + std::to_string(::getpid()));
    fs::create_directories(etc_secrets);
    std::ofstream(etc_secrets / "shop-api.webhook") << "webhook-secret-value";
    workspace = home / "workspaces/1";
    fs::create_directories(workspace);
    // As the daemon lays out data_dir: the sandbox user may pass through, not list.
    for (const fs::path& dir : {home.path(), home / "workspaces"}) {
      fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    }
    other = home / "workspaces/2";
    fs::create_directories(other);
    std::ofstream(other / "other-run.txt") << "private to run 2";
  }
  void TearDown() override { fs::remove_all(etc_secrets); }

  PipelineResult run(const std::string& pipeline_text, std::uint64_t log_max = 1 << 20,
                     std::map<std::string, std::string> secrets = {},
                     std::map<std::string, fs::path> root_filesystems = {}) {
    auto pipeline = pipelines::parse_pipeline(pipeline_text, ".juanie.yml");
    EXPECT_TRUE(pipeline) << pipeline.error().message;
    pipelines::RunContext ctx{
        "shop-api", "refs/heads/develop", "branch", "develop", std::string(40, 'a'), "dev", "push",
        1};
    PipelineRunOptions options;
    options.workspace = workspace;
    options.logs_dir = home / "logs/1";
    options.log_max = log_max;
    options.default_timeout = 20s;
    options.hidden = {data_dir, home / "juanie.yaml", etc_secrets};
    options.limits.processes = 200;
    options.limits.memory = memory;
    options.limits.tmpfs_size = tmpfs_size;
    options.cancel = cancel;
    options.backend.cgroups = cgroups.get();
    options.secrets = std::move(secrets);
    options.secrets_allowed = true;
    options.sandbox_user = own_uid ? std::nullopt : default_sandbox_user();
    if (lower) {
      // A copy-on-write workspace as the daemon gives one: the run's layers over `lower`.
      options.layers = layers_in(workspace, *lower);
      EXPECT_TRUE(make_layer_dirs(*options.layers));
      options.backend.workspace_launcher = JUANIE_WORKSPACE_LAUNCHER;
    }
    options.backend.root_filesystems = std::move(root_filesystems);
    if (backend() != "bwrap") {
      options.backend.kind = backend();
      options.backend.engine.binary = backend();
      options.backend.engine.runtime = "runc";
      options.backend.engine.owner = container_owner(home.path().string());
      options.backend.default_image = image;
      options.backend.container_prefix = "juanie-test-" + std::to_string(::getpid());
    }
    auto result = run_pipeline(pipelines::plan(*pipeline, ctx), options);
    EXPECT_EQ(step_cgroups_left(), "") << "a step's cgroup outlived it";
    return result;
  }

  // The step cgroups that exist now, one directory per line: every one but the single cgroup
  // made ahead of time for the next step (held-N), which must hold nothing else.
  static std::string step_cgroups_left() {
    std::string out;
    for (const auto& base : cgroups->bases()) {
      int held_here = 0;
      for (const auto& entry : fs::directory_iterator(base)) {
        if (!entry.is_directory()) continue;
        if (entry.path().filename().string().starts_with("held-") && ++held_here == 1) continue;
        out += entry.path().string() + "\n";
      }
    }
    return out;
  }

  // The largest value of `key` in `file` among the running steps' cgroups.
  static std::uint64_t step_cgroup_counter(const std::string& file, const std::string& key) {
    std::uint64_t most = 0;
    for (const auto& base : cgroups->bases()) {
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(base, ec)) {
        const std::string text = test::read_file(entry.path() / file);
        most = std::max<std::uint64_t>(most, key.empty() ? std::strtoull(text.c_str(), nullptr, 10)
                                                         : cgroup_counter(text, key));
      }
    }
    return most;
  }

  // The containers this test's runs left behind, one id per line.
  std::string containers_left() {
    return test::sh("podman ps --all --quiet --filter label=io.juanie.owner=" +
                    container_owner(home.path().string()));
  }

  std::string log_of(const PipelineResult& r, std::size_t step = 0) {
    return test::read_file(r.steps.at(step).log);
  }

  static inline std::string image;
  static inline std::unique_ptr<StepCgroups> cgroups;
  std::uint64_t memory = 256ULL << 20;
  std::uint64_t tmpfs_size = 64ULL << 20;
  const std::atomic<bool>* cancel = nullptr;
  bool own_uid = false;  // the steps run under this process's uid, as under a non-root daemon
  std::optional<fs::path> lower;  // a pristine tree: the workspace is then layers over it
  test::TempDir home;
  fs::path data_dir, etc_secrets, workspace, other;
};

INSTANTIATE_TEST_SUITE_P(Backends, SandboxTest, ::testing::Values("bwrap", "podman"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(SandboxTest, AStepRunsInItsWorkspaceWithItsVariables) {
  auto r = run("steps:\n  - name: a\n    commands: [\"echo $JUANIE_BRANCH > out.txt\", \"pwd\"]\n");
  ASSERT_TRUE(r.succeeded) << log_of(r);
  EXPECT_EQ(test::read_file(workspace / "out.txt"), "develop\n");
  EXPECT_NE(log_of(r).find("/workspace"), std::string::npos);
}

TEST_P(SandboxTest, CannotReadTheDaemonsDatabaseConfigOrSecrets) {
  for (const fs::path& target :
       {data_dir / "juanie.db", home / "juanie.yaml", etc_secrets / "shop-api.webhook"}) {
    auto r = run("steps:\n  - name: a\n    commands: [\"cat " + target.string() + "\"]\n");
    EXPECT_FALSE(r.succeeded) << target;
    EXPECT_EQ(log_of(r).find("webhook-secret-value"), std::string::npos);
    EXPECT_EQ(log_of(r).find("SQLite format 3"), std::string::npos);
  }
  if (backend() != "bwrap") return;  // an image has nothing of the host's
  // The host's /etc is there, read-only, minus the daemon's part of it.
  auto r = run("steps:\n  - name: a\n    commands: [\"test -f /etc/passwd\", \"ls " +
               etc_secrets.string() + " | wc -l\"]\n");
  ASSERT_TRUE(r.succeeded) << log_of(r);
  EXPECT_NE(log_of(r).find("\n0\n"), std::string::npos) << log_of(r);
}

TEST_P(SandboxTest, CannotSeeAnotherRunsWorkspace) {
  auto r = run("steps:\n  - name: a\n    commands: [\"cat " + (other / "other-run.txt").string() +
               "\"]\n  - name: b\n    commands: [\"cat ../2/other-run.txt\"]\n");
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(log_of(r).find("private to run 2"), std::string::npos);
}

TEST_P(SandboxTest, CannotWriteOutsideItsWorkspace) {
  for (const char* target : {"/usr/juanie-escape", "/etc/juanie-escape"}) {
    auto r = run(std::string("steps:\n  - name: a\n    commands: [\"touch ") + target + "\"]\n");
    EXPECT_FALSE(r.succeeded) << target;
    EXPECT_FALSE(fs::exists(target));
  }
  // /tmp is the step's own.
  const fs::path marker = fs::path("/tmp") / ("juanie-escape-" + std::to_string(::getpid()));
  auto r = run("steps:\n  - name: a\n    commands: [\"touch " + marker.string() + "\"]\n");
  EXPECT_TRUE(r.succeeded) << log_of(r);
  EXPECT_FALSE(fs::exists(marker));
}

// The daemon holds sockets and files (its listening socket, the step's own log); a step must
// hold none of them. The listener here is opened without SOCK_CLOEXEC, as Asio opens its own.
TEST_P(SandboxTest, AStepHoldsNoDescriptorButStdinStdoutAndStderr) {
  Listener daemon_port;
  const int file = ::open((home / "juanie.yaml").c_str(), O_RDONLY);
  ASSERT_GE(file, 3);
  // ls lists its parent shell's table, not its own (which holds the directory it reads),
  // straight to the log: a redirection would show the shell's saved descriptor.
  auto r = run("steps:\n  - name: a\n    commands: [\"ls /proc/$$/fd\", \"echo listed\"]\n");
  ASSERT_TRUE(r.succeeded) << log_of(r);
  EXPECT_NE(log_of(r).find("+ ls /proc/$$/fd\n0\n1\n2\n+ echo listed"), std::string::npos)
      << log_of(r);
  // With a network, bwrap is handed its info and block pipes: they stay bwrap's.
  auto networked =
      run("steps:\n  - name: a\n    network: true\n    commands: [\"ls /proc/$$/fd\", \"echo "
          "listed\"]\n");
  ::close(file);
  ASSERT_TRUE(networked.succeeded) << log_of(networked);
  EXPECT_NE(log_of(networked).find("+ ls /proc/$$/fd\n0\n1\n2\n+ echo listed"), std::string::npos)
      << log_of(networked);
}

// An IPv4 address of this host other than loopback: what a step's NAT reaches.
std::optional<in_addr_t> host_address() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<in_addr_t> found;
  for (auto* i = list; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
        !(i->ifa_flags & IFF_UP)) {
      continue;
    }
    found = reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr;
  }
  ::freeifaddrs(list);
  return found;
}

std::string dotted(in_addr_t address) {
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &address, text, sizeof text);
  return text;
}

// Each probe prints its verdict on a line of its own (the echoed command has it after a space).
std::string network_probes(const std::string& outside, int outside_port, int loopback_port) {
  const auto probe = [](const std::string& host, int port, const std::string& ok,
                        const std::string& refused) {
    return "\"busybox nc -w 5 " + host + " " + std::to_string(port) + " -e true && echo " + ok +
           " || echo " + refused + "\"";
  };
  return "[\"cat /proc/net/route\", " +
         probe(outside, outside_port, "reached-outside", "no-outside") + ", " +
         probe("127.0.0.1", loopback_port, "reached-loopback", "no-loopback") + ", " +
         probe("10.0.2.2", loopback_port, "reached-host-loopback", "no-host-loopback") + ", " +
         probe("169.254.169.254", 80, "reached-link-local", "no-link-local") + "]";
}

TEST_P(SandboxTest, NoNetworkUnlessTheStepAsks) {
  Listener daemon_port;
  const auto outside = host_address();
  ASSERT_TRUE(outside) << "this host has no address but loopback";
  Listener outside_port(*outside);
  auto closed =
      run("steps:\n  - name: a\n    commands: " +
          network_probes(dotted(*outside), outside_port.port(), daemon_port.port()) + "\n");
  ASSERT_TRUE(closed.succeeded) << log_of(closed);
  for (const char* verdict :
       {"\nno-outside", "\nno-loopback", "\nno-host-loopback", "\nno-link-local"}) {
    EXPECT_NE(log_of(closed).find(verdict), std::string::npos) << verdict << "\n" << log_of(closed);
  }
  EXPECT_EQ(log_of(closed).find("tap0"), std::string::npos) << log_of(closed);
}

// network: true is a namespace of the step's own behind user-mode NAT: the outside (here the
// host's own non-loopback address, reachable only through the NAT) answers; the host's
// loopback, where the daemon listens, and link-local addresses (cloud metadata) do not.
TEST_P(SandboxTest, ANetworkedStepGoesOutThroughNatNeverToTheHostsLoopbackOrLinkLocal) {
  Listener daemon_port;
  const auto outside = host_address();
  ASSERT_TRUE(outside) << "this host has no address but loopback";
  Listener outside_port(*outside);
  auto open = run("steps:\n  - name: a\n    network: true\n    commands: " +
                  network_probes(dotted(*outside), outside_port.port(), daemon_port.port()) + "\n");
  const std::string log = log_of(open);
  ASSERT_TRUE(open.succeeded) << log;
  EXPECT_NE(log.find("\ntap0"), std::string::npos) << log;  // its interface, with a route
  EXPECT_NE(log.find("\nreached-outside"), std::string::npos) << log;
  EXPECT_NE(log.find("\nno-loopback"), std::string::npos) << log;
  EXPECT_NE(log.find("\nno-host-loopback"), std::string::npos) << log;
  // Refused inside the namespace (a prohibit route: EACCES), never tried on the host's network.
  EXPECT_NE(log.find("169.254.169.254): Permission denied"), std::string::npos) << log;
  EXPECT_NE(log.find("\nno-link-local"), std::string::npos) << log;
}

TEST_P(SandboxTest, CannotKillProcessesOutsideIt) {
  pid_t victim = 0;
  const char* argv[] = {"sleep", "60", nullptr};
  ASSERT_EQ(posix_spawnp(&victim, "sleep", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  auto r = run("steps:\n  - name: a\n    commands: [\"kill -9 " + std::to_string(victim) + "\"]\n");
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(::kill(victim, 0), 0) << "the process outside the sandbox was killed";
  ::kill(victim, SIGKILL);
  ::waitpid(victim, nullptr, 0);
}

using test::process_with_marker_exists;

TEST_P(SandboxTest, AForkBombIsContainedAndLeavesNothingBehind) {
  // Named per backend and process: the other backend's case may run at the same time.
  const std::string bomb = "bomb_" + backend() + "_" + std::to_string(::getpid());
  auto r = run("steps:\n  - name: a\n    timeout: 5s\n    commands: [\"" + bomb + "() { " + bomb +
               " | " + bomb + " & }; " + bomb + "\", \"sleep 30\"]\n");
  EXPECT_FALSE(r.succeeded);
  EXPECT_FALSE(process_with_marker_exists(bomb));
}

TEST_P(SandboxTest, ATimeoutKillsTheWholeTreeEvenIfItIgnoresSigterm) {
  const std::string marker = "juanie-orphan-" + std::to_string(::getpid());
  auto r =
      run("steps:\n  - name: a\n    timeout: 1s\n    commands: [\"trap '' TERM; sh -c 'trap "
          "\\\"\\\" TERM; sleep 300' " +
          marker + " & sleep 300\"]\n");
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].state, pipelines::StepState::kFailed);
  EXPECT_EQ(r.steps[0].reason, "timed out after 1s");
  EXPECT_FALSE(process_with_marker_exists(marker));
  if (backend() != "bwrap") {
    EXPECT_EQ(containers_left(), "");
  }
}

TEST_P(SandboxTest, CancelStopsTheStepAndLeavesNoContainer) {
  std::atomic<bool> cancelled{false};
  // Cancels once the step is seen running (its first line is in its log), not after a guess.
  std::thread canceller([&] {
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    auto started = [&] {
      std::error_code ec;
      for (const auto& f : fs::recursive_directory_iterator(home / "logs/1", ec)) {
        if (f.is_regular_file() && test::read_file(f.path()).find("started") != std::string::npos)
          return true;
      }
      return false;
    };
    while (!started() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(20ms);
    }
    cancelled = true;
  });
  auto pipeline = pipelines::parse_pipeline(
      "steps:\n  - name: a\n    commands: [\"echo started\", \"sleep 300\"]\n  - name: b\n"
      "    commands: [true]\n",
      ".juanie.yml");
  ASSERT_TRUE(pipeline);
  pipelines::RunContext ctx{
      "shop-api", "refs/heads/develop", "branch", "develop", std::string(40, 'a'), "dev", "push",
      1};
  PipelineRunOptions options;
  options.workspace = workspace;
  options.logs_dir = home / "logs/1";
  options.cancel = &cancelled;
  options.sandbox_user = default_sandbox_user();
  if (backend() != "bwrap") {
    options.backend.kind = backend();
    options.backend.engine.binary = backend();
    options.backend.engine.owner = container_owner(home.path().string());
    options.backend.default_image = image;
  }
  auto r = run_pipeline(pipelines::plan(*pipeline, ctx), options);
  canceller.join();
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.steps.at(0).state, pipelines::StepState::kCancelled);
  EXPECT_EQ(r.steps.at(1).state, pipelines::StepState::kSkipped);
  EXPECT_LT(r.steps.at(0).duration, 60s);
  if (backend() != "bwrap") {
    EXPECT_EQ(containers_left(), "");
  }
}

// Values on a command line are readable by every local user in /proc/<pid>/cmdline.
TEST_P(SandboxTest, SecretValuesAreNeverOnACommandLine) {
  const std::string value = "s3cr3t-" + std::to_string(::getpid()) + "-value";
  std::atomic<bool> done{false};
  std::atomic<int> seen{0}, scans{0};
  std::thread scanner([&] {
    while (!done) {
      if (test::process_with_marker_exists(value)) ++seen;
      ++scans;
    }
  });
  std::ofstream(workspace / "expected.txt") << value;
  auto r =
      run("steps:\n  - name: a\n    secrets: [NPM_TOKEN]\n    commands: [\"sleep 2\", "
          "'test \"$NPM_TOKEN\" = \"$(cat expected.txt)\" && echo matches']\n",
          1 << 20, {{"NPM_TOKEN", value}});
  done = true;
  scanner.join();
  ASSERT_TRUE(r.succeeded) << log_of(r);
  EXPECT_NE(log_of(r).find("matches"), std::string::npos);
  EXPECT_GT(scans.load(), 2);
  EXPECT_EQ(seen.load(), 0);
  EXPECT_FALSE(fs::exists(secrets_file_for(workspace))) << "the secrets file outlived the step";
}

// bwrap binds a configured root filesystem for an image name; podman runs the image.
TEST_P(SandboxTest, AStepsImageIsItsRootFilesystem) {
  const fs::path rootfs = home / "rootfs";
  test::make_busybox_rootfs(rootfs);
  auto r = run("steps:\n  - name: a\n    image: " + image +
                   "\n    commands: [\"cat /etc/passwd\", \"test ! -e /usr/bin/bwrap\", "
                   "\"echo built > out.txt\"]\n",
               1 << 20, {}, {{image, rootfs}});
  ASSERT_TRUE(r.succeeded) << log_of(r);
  EXPECT_NE(log_of(r).find("nobody:x:65534:65534:nobody:/nonexistent:/bin/false"),
            std::string::npos);
  EXPECT_EQ(test::read_file(workspace / "out.txt"), "built\n");
}

TEST_P(SandboxTest, EndlessOutputIsCappedAndTheStepStopped) {
  auto r = run("steps:\n  - name: a\n    timeout: 3s\n    commands: [yes]\n", 64 * 1024);
  EXPECT_FALSE(r.succeeded);
  const auto size = fs::file_size(r.steps[0].log);
  EXPECT_LT(size, 64u * 1024 + 200);
  EXPECT_NE(log_of(r).find("[juanie: log cut at 65536 bytes"), std::string::npos);
}

TEST_P(SandboxTest, SecretsReachTheStepAndAreMaskedInItsLog) {
  auto r =
      run("steps:\n  - name: a\n    secrets: [NPM_TOKEN]\n    commands: [\"echo $NPM_TOKEN\", "
          "\"printf %s \\\"$NPM_TOKEN\\\" | base64\", \"test -n \\\"$NPM_TOKEN\\\"\"]\n",
          1 << 20, {{"NPM_TOKEN", "npm_s3cr3t_value"}});
  ASSERT_TRUE(r.succeeded) << log_of(r);
  const std::string log = log_of(r);
  EXPECT_EQ(log.find("npm_s3cr3t_value"), std::string::npos) << log;
  EXPECT_EQ(log.find("bnBtX3MzY3IzdF92YWx1ZQ"), std::string::npos) << log;
  EXPECT_NE(log.find("***"), std::string::npos);
}

TEST_P(SandboxTest, AStepCannotAskForASecretTheProjectDoesNotHave) {
  auto r = run("steps:\n  - name: a\n    secrets: [AWS_KEY]\n    commands: [\"true\"]\n");
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(r.steps[0].reason, "secret AWS_KEY is not one of the project's secrets");
}

// The kernel holds the limit: a step that allocates past sandbox.memory is killed, all of
// it, and says why. The test process (the daemon's stand-in) is untouched.
TEST_P(SandboxTest, AStepPastItsMemoryLimitIsKilledAndSaysSo) {
  memory = 64ULL << 20;
  // tail keeps all of a newline-free input: it truly allocates 400 MB.
  // On v1 the kernel kills the process past the limit (tail) and the daemon, told by the
  // event, stops the rest of the step: the shell's next command gets a second it would have to
  // outlive (an immediate echo could win that race on a loaded machine).
  auto r =
      run("steps:\n  - name: a\n    commands: [\"head -c $((400 * 1000 * 1000)) /dev/zero | tail | "
          "wc -c; "
          "sleep 1; echo survived-$((40 + 2))\"]\n");
  ASSERT_EQ(r.steps.size(), 1u);
  // The allocation never completed.
  EXPECT_EQ(log_of(r).find("400000000"), std::string::npos) << log_of(r);
  if (backend() == "bwrap") {
    EXPECT_EQ(r.steps[0].state, pipelines::StepState::kFailed);
    // All of the step, not only the process the kernel chose.
    EXPECT_EQ(log_of(r).find("survived-42"), std::string::npos) << log_of(r);
    EXPECT_EQ(r.steps[0].reason,
              "memory limit: the step used more than 64 MiB (sandbox.memory) and was killed");
    EXPECT_NE(log_of(r).find("juanie: memory limit"), std::string::npos) << log_of(r);
  } else {
    // The engine's cgroup (v1 here, without a group kill) kills the process that passed it.
    EXPECT_NE(log_of(r).find("Killed"), std::string::npos) << log_of(r);
  }
  // Within the limit, the same step runs.
  memory = 256ULL << 20;
  auto fits =
      run("steps:\n  - name: a\n    commands: [\"head -c 20000000 /dev/zero | tail | wc -c\"]\n");
  EXPECT_TRUE(fits.succeeded) << log_of(fits);
}

// A tmpfs is memory the step could fill past any cgroup's notice: each has its size.
TEST_P(SandboxTest, AStepsTmpIsFullAtItsSize) {
  tmpfs_size = 16ULL << 20;
  auto r =
      run("steps:\n  - name: a\n    commands: [\"dd if=/dev/zero of=/tmp/fill bs=1048576 "
          "count=64\"]\n");
  EXPECT_FALSE(r.succeeded);
  EXPECT_NE(log_of(r).find("No space left on device"), std::string::npos) << log_of(r);
  if (backend() != "bwrap") return;
  for (const char* dir : {"/var/tmp", "/run"}) {
    auto filled = run(std::string("steps:\n  - name: a\n    commands: [\"dd if=/dev/zero of=") +
                      dir + "/fill bs=1048576 count=64\"]\n");
    EXPECT_NE(log_of(filled).find("No space left on device"), std::string::npos) << dir;
  }
}

// Steps that share the daemon's uid (the shipped unit runs it unprivileged) are bounded by
// their own pids cgroup, not by RLIMIT_NPROC, which counts every process of the uid: one run's
// fork bomb starves neither other runs nor the daemon. Here the step runs as this process's
// uid, which RLIMIT_NPROC would not even bound (root).
TEST_P(SandboxTest, ProcessesAreBoundedPerStepByItsPidsCgroup) {
  if (backend() != "bwrap") GTEST_SKIP() << "a container's processes are bounded by --pids-limit";
  own_uid = true;
  std::atomic<bool> stop{false}, done{false};
  cancel = &stop;
  std::uint64_t peak = 0;
  bool forked = false;
  std::thread watcher([&] {
    while (!done && step_cgroup_counter("pids.events", "max") == 0) {
      std::this_thread::sleep_for(10ms);
    }
    if (done) return;
    peak = step_cgroup_counter("pids.current", "");
    // At its limit, the step costs this process nothing: it still starts processes.
    pid_t pid = 0;
    const char* argv[] = {"true", nullptr};
    if (posix_spawnp(&pid, "true", nullptr, nullptr, const_cast<char**>(argv), environ) == 0) {
      int status = 0;
      forked = ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    stop = true;
  });
  // Bounded even without a cgroup (400), so that a failure here harms no one. The shell that
  // cannot fork exits, the step stays at its limit until cancelled.
  auto r =
      run("steps:\n  - name: a\n    timeout: 30s\n    commands: [\"sh -c 'for i in $(seq "
          "400); do sleep 120 & done' || true\", \"sleep 120\"]\n");
  done = true;
  watcher.join();
  EXPECT_EQ(r.steps.at(0).state, pipelines::StepState::kCancelled) << r.steps.at(0).reason;
  EXPECT_TRUE(forked) << "the step never reached its pids.max: " << r.steps.at(0).reason << "\n"
                      << log_of(r);
  EXPECT_GT(peak, 0u);
  EXPECT_LE(peak, 200u);
}

// Every entry under `root`: a file's content and mode, a symlink's target, a directory, a
// whiteout (what overlayfs leaves in an upper layer for a deletion).
std::map<std::string, std::string> entries(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = it->path().lexically_relative(root).string();
    struct stat st {};
    ::lstat(it->path().c_str(), &st);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    if (S_ISLNK(st.st_mode)) {
      out[rel] = "link -> " + fs::read_symlink(it->path()).string();
    } else if (S_ISDIR(st.st_mode)) {
      out[rel] = std::string("dir ") + mode;
    } else if (S_ISCHR(st.st_mode)) {
      out[rel] = "whiteout";
    } else {
      out[rel] = std::string(mode) + " " + test::read_file(it->path());
    }
  }
  return out;
}

// The pristine tree of a commit, as PristineTrees leaves one.
fs::path make_pristine(const fs::path& dir) {
  fs::create_directories(dir / "src");
  std::ofstream(dir / "a.txt") << "a\n";
  std::ofstream(dir / "src/b.txt") << "b\n";
  std::ofstream(dir / "build.sh") << "echo build\n";
  fs::permissions(dir / "build.sh", fs::perms::owner_all | fs::perms::group_read |
                                        fs::perms::group_exec | fs::perms::others_read |
                                        fs::perms::others_exec);
  fs::create_symlink("a.txt", dir / "link");
  return dir;
}

TEST_P(SandboxTest, ALayeredStepWritesOnlyItsRunsOwnLayer) {
  lower = make_pristine(home / "trees/app/main/0/tree");
  const auto before = entries(*lower);
  auto r =
      run("steps:\n  - name: a\n    commands: [\"cat a.txt\", \"echo changed > a.txt\", "
          "\"rm -r src\", \"echo new > new.txt\", \"chmod 600 build.sh\", \"chmod 755 a.txt\", "
          "\"ln -sfn new.txt link\", \"mkdir out && echo x > out/x\"]\n"
          "  - name: b\n    commands: [\"test ! -e src/b.txt\", \"cat a.txt new.txt out/x\", "
          "\"readlink link\"]\n");
  ASSERT_TRUE(r.succeeded) << log_of(r) << log_of(r, 1);
  EXPECT_NE(log_of(r, 1).find("changed\nnew\nx\n+ readlink link\nnew.txt\n"), std::string::npos)
      << log_of(r, 1);
  // The commit's files are as they were, owner aside (handed to the step's uid with the run).
  EXPECT_EQ(entries(*lower), before);
  // The run's writes, and only they, are in its upper layer.
  const auto upper = entries(workspace / "upper");
  auto in_upper = [&upper](const std::string& name) {
    auto it = upper.find(name);
    return it == upper.end() ? std::string("(missing)") : it->second;
  };
  EXPECT_EQ(in_upper("a.txt"), "0755 changed\n");
  EXPECT_EQ(in_upper("new.txt").substr(5), "new\n");
  EXPECT_EQ(in_upper("src"), "whiteout");
  EXPECT_EQ(in_upper("link"), "link -> new.txt");
  EXPECT_EQ(in_upper("build.sh").substr(0, 4), "0600");
  EXPECT_FALSE(upper.contains("src/b.txt"));

  // The next run over the same tree starts from the commit's files, not from these.
  workspace = home / "workspaces/3";
  fs::create_directories(workspace);
  auto next =
      run("steps:\n  - name: a\n    commands: [\"cat a.txt src/b.txt\", \"test ! -e new.txt\", "
          "\"test ! -e out\", \"test -x build.sh\", \"test ! -x a.txt\", \"readlink link\"]\n");
  ASSERT_TRUE(next.succeeded) << log_of(next);
  EXPECT_NE(log_of(next).find("a\nb\n"), std::string::npos) << log_of(next);
  EXPECT_NE(log_of(next).find("\na.txt\n"), std::string::npos) << log_of(next);
}

TEST_P(SandboxTest, ALayeredStepCannotReachThePristineTreeByItsPath) {
  lower = make_pristine(home / "trees/app/main/0/tree");
  const auto before = entries(*lower);
  auto r =
      run("steps:\n  - name: a\n    commands: [\"echo poisoned > " + (*lower / "a.txt").string() +
          "\"]\n  - name: b\n    commands: [\"ls " + lower->string() + "\"]\n");
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(entries(*lower), before);
  EXPECT_EQ(test::read_file(*lower / "a.txt"), "a\n");
}

// What an unprivileged daemon does (systemd's User=juanie): the launcher keeps its own uid in a
// user namespace of its own, mounts the overlay there, and bwrap nests its sandbox in it.
TEST(WorkspaceLauncher, UnprivilegedItMountsTheOverlayInAUserNamespaceOfItsOwn) {
  test::TempDir home;
  const fs::path lower = make_pristine(home / "tree");
  const auto layers = layers_in(home / "run", lower);
  ASSERT_TRUE(make_layer_dirs(layers));
  ASSERT_EQ(::chmod(home.path().c_str(), 0755), 0);
  test::sh("chown -R 65534:65534 " + home.path().string());
  const auto before = entries(lower);
  std::string command = "setpriv --reuid=65534 --regid=65534 --clear-groups --";
  for (const auto& word :
       layered_argv(JUANIE_WORKSPACE_LAUNCHER, layers,
                    {"/usr/bin/bwrap",
                     "--unshare-user",
                     "--unshare-pid",
                     "--unshare-net",
                     "--die-with-parent",
                     "--ro-bind",
                     "/usr",
                     "/usr",
                     "--symlink",
                     "usr/bin",
                     "/bin",
                     "--symlink",
                     "usr/lib",
                     "/lib",
                     "--symlink",
                     "usr/lib64",
                     "/lib64",
                     "--proc",
                     "/proc",
                     "--dev",
                     "/dev",
                     "--bind",
                     layers.merged.string(),
                     "/workspace",
                     "--chdir",
                     "/workspace",
                     "/bin/sh",
                     "-c",
                     "id -u; cat a.txt; echo changed > a.txt; rm -r src; echo new > new.txt"})) {
    command += " " + shell_quote(word);
  }
  int status = -1;
  const std::string out = test::sh(command + " 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out, "65534\na\n");
  EXPECT_EQ(entries(lower), before);
  EXPECT_EQ(test::read_file(layers.upper / "a.txt"), "changed\n");
  EXPECT_EQ(test::read_file(layers.upper / "new.txt"), "new\n");
  // Overlayfs's work directory is left at mode 000 to its owner; the run's end still removes it.
  remove_workspace_dir(home / "run");
  EXPECT_FALSE(fs::exists(home / "run"));
}

}  // namespace
}  // namespace juanie::runner
