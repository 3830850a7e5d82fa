#include <gtest/gtest.h>

#include <algorithm>

#include "runner/container_sandbox.hpp"
#include "runner/sandbox.hpp"
#include "runner/user_network.hpp"

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

// A tmpfs is memory the step's cgroup may not see in time: every one has a size.
TEST(BwrapArgv, EveryTmpfsHasASize) {
  auto s = spec();
  s.limits.tmpfs_size = 64ULL << 20;
  s.hidden = {"/etc/juanie"};
  const auto argv = bwrap_argv(s);
  int sized = 0;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] != "--tmpfs") continue;
    ASSERT_GE(i, 2u);
    EXPECT_EQ(argv[i - 2], "--size") << argv[i + 1];
    ++sized;
  }
  EXPECT_EQ(sized, 4);
  EXPECT_TRUE(has_pair(argv, "67108864", "--tmpfs"));
  EXPECT_TRUE(has_pair(argv, "4096", "--tmpfs"));  // the cover of /etc/juanie
}

// Steps sharing the daemon's uid count each other's processes under RLIMIT_NPROC: where a
// pids cgroup bounds each step, the rlimit is left out.
TEST(BwrapArgv, NoProcessRlimitWhenACgroupBoundsTheStep) {
  auto s = spec();
  s.limits.nproc_rlimit = false;
  const auto argv = bwrap_argv(s);
  EXPECT_FALSE(has(argv, "--nproc=512"));
  EXPECT_TRUE(has(argv, "--nofile=4096"));
}

// Never the host's network: a step that asks for one gets NAT attached to its own namespace,
// and bwrap holds the step until it is there.
TEST(BwrapArgv, ANetworkIsTheSandboxsOwnNamespace) {
  auto s = spec();
  EXPECT_FALSE(has(bwrap_argv(s), "--info-fd"));
  s.network = true;
  const auto argv = bwrap_argv(s);
  EXPECT_TRUE(has(argv, "--unshare-net"));
  EXPECT_TRUE(has_pair(argv, "--info-fd", "3"));
  EXPECT_TRUE(has_pair(argv, "--block-fd", "4"));
}

TEST(UserNetwork, NatRefusesTheHostsLoopbackAndLinkLocalIsBlocked) {
  const auto slirp = slirp_argv("/proc/42/ns/net");
  EXPECT_EQ(slirp.front(), "slirp4netns");
  for (const char* flag : {"--configure", "--disable-host-loopback", "--enable-seccomp",
                           "--ready-fd=3", "--exit-fd=4"}) {
    EXPECT_TRUE(has(slirp, flag)) << flag;
  }
  EXPECT_TRUE(has_pair(slirp, "/proc/42/ns/net", "tap0"));
  EXPECT_TRUE(has(slirp, "--userns-path=/proc/self/ns/user"));  // root: the netns alone
  EXPECT_TRUE(
      has(slirp_argv("/proc/42/ns/net", "/proc/42/ns/user"), "--userns-path=/proc/42/ns/user"));
  EXPECT_EQ(block_link_local_argv("/run/netns/x"),
            (std::vector<std::string>{"nsenter", "--net=/run/netns/x", "--", "ip", "route", "add",
                                      "prohibit", "169.254.0.0/16"}));
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

TEST(BwrapArgv, SecretsComeInAFileNeverOnTheCommandLine) {
  auto s = spec();
  s.secrets_file = "/var/lib/juanie/workspaces/17.secrets.env";
  const auto argv = bwrap_argv(s);
  EXPECT_TRUE(has_pair(argv, "/var/lib/juanie/workspaces/17.secrets.env", kSecretsPath));
  EXPECT_EQ(argv.back().find(std::string(". ") + kSecretsPath + "\n"), 7u) << argv.back();
}

TEST(BwrapArgv, AnImageRootReplacesTheHostsUsrAndEtc) {
  auto s = spec();
  s.root_filesystem = "/srv/roots/alpine";
  s.hidden = {"/etc/juanie"};
  const auto argv = bwrap_argv(s);
  EXPECT_TRUE(has_pair(argv, "/srv/roots/alpine", "/"));
  EXPECT_FALSE(has_pair(argv, "--ro-bind", "/usr"));
  EXPECT_FALSE(has(argv, "/etc/juanie"));
  // The limits are set outside: the image need not have prlimit.
  EXPECT_EQ(argv.front(), "/usr/bin/prlimit");
}

ContainerEngine docker() {
  ContainerEngine e;
  e.binary = "docker";
  e.podman = false;
  e.runtime = "runc";
  e.owner = "0123456789abcdef";
  return e;
}

TEST(ContainerArgv, IsolatesByDefault) {
  auto s = spec();
  s.run_as = std::pair{65534u, 65534u};
  s.limits.memory = 1ULL << 30;
  s.limits.tmpfs_size = 64ULL << 20;
  const auto argv = container_run_argv(s, docker(), "golang:1.22", "juanie-x-17-1");
  EXPECT_EQ(argv.front(), "docker");
  EXPECT_EQ(argv[1], "run");
  for (const char* flag : {"--rm", "--init", "--read-only"}) EXPECT_TRUE(has(argv, flag)) << flag;
  EXPECT_TRUE(has_pair(argv, "--network", "none"));
  EXPECT_TRUE(has_pair(argv, "--cap-drop", "all"));
  EXPECT_TRUE(has_pair(argv, "--security-opt", "no-new-privileges"));
  EXPECT_TRUE(has_pair(argv, "--pull", "never"));
  EXPECT_TRUE(has_pair(argv, "--pids-limit", "512"));
  EXPECT_TRUE(has_pair(argv, "--ulimit", "nproc=512:512"));
  EXPECT_TRUE(has_pair(argv, "--ulimit", "nofile=4096:4096"));
  EXPECT_TRUE(has_pair(argv, "--memory", "1073741824"));
  EXPECT_TRUE(has_pair(argv, "--memory-swap", "1073741824"));
  EXPECT_TRUE(has_pair(argv, "--oom-score-adj", "1000"));
  EXPECT_TRUE(has_pair(argv, "--tmpfs", "/tmp:rw,nosuid,nodev,mode=1777,size=67108864"));
  EXPECT_TRUE(has_pair(argv, "--runtime", "runc"));
  EXPECT_TRUE(has_pair(argv, "--user", "65534:65534"));
  EXPECT_TRUE(has_pair(argv, "--label", "io.juanie.owner=0123456789abcdef"));
  EXPECT_TRUE(has_pair(argv, "--name", "juanie-x-17-1"));
  EXPECT_TRUE(has_pair(argv, "--volume", "/var/lib/juanie/workspaces/17:/workspace:rw"));
  EXPECT_TRUE(has_pair(argv, "--env", "JUANIE_RUN=17"));
  EXPECT_TRUE(has_pair(argv, "golang:1.22", "/bin/sh"));
  EXPECT_FALSE(has(argv, "--userns"));
}

// Whatever the image is called, the engine reads it as the image, never as an option.
TEST(ContainerArgv, TheImageComesAfterTheEndOfOptions) {
  const auto argv = container_run_argv(spec(), docker(), "--privileged", "juanie-x-17-1");
  EXPECT_TRUE(has_pair(argv, "--", "--privileged"));
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--privileged"), 1);
  EXPECT_TRUE(has_pair(argv, "--privileged", "/bin/sh"));
}

TEST(ContainerArgv, PodmanTakesItsRuntimeBeforeRunAndKeepsTheUserRootless) {
  auto e = docker();
  e.binary = "podman";
  e.podman = true;
  auto s = spec();
  s.network = true;
  const auto argv = container_run_argv(s, e, "img", "n");
  ASSERT_GE(argv.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(argv.begin(), argv.begin() + 4),
            (std::vector<std::string>{"podman", "--runtime", "runc", "run"}));
  // Never the host's network: a namespace made for the step, or podman's own NAT.
  EXPECT_TRUE(has_pair(argv, "--network", "slirp4netns:allow_host_loopback=false"));
  s.network_namespace = "/run/netns/juanie-x-17-1";
  EXPECT_TRUE(
      has_pair(container_run_argv(s, e, "img", "n"), "--network", "ns:/run/netns/juanie-x-17-1"));
  EXPECT_TRUE(has_pair(argv, "--userns", "keep-id"));
  EXPECT_EQ(container_remove_argv(e, "n"),
            (std::vector<std::string>{"podman", "--runtime", "runc", "rm", "--force", "--time", "0",
                                      "--", "n"}));
  EXPECT_EQ(container_remove_argv(docker(), "n"),
            (std::vector<std::string>{"docker", "rm", "--force", "--", "n"}));
}

TEST(ContainerArgv, OwnersAreStableAndDistinct) {
  EXPECT_EQ(container_owner("/var/lib/juanie"), container_owner("/var/lib/juanie"));
  EXPECT_NE(container_owner("/var/lib/juanie"), container_owner("/var/lib/juanie2"));
  EXPECT_EQ(container_owner("/var/lib/juanie").size(), 16u);
}

}  // namespace
}  // namespace juanie::runner
