#include "runner/user_network.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "runner/step_process.hpp"

namespace juanie::runner {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kToolPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr const char* kIp = "ip";

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Starts `argv` with stdin, stdout and stderr on /dev/null and `given` as descriptors 3, 4, …
// and nothing else.
Result<pid_t> spawn(const std::vector<std::string>& argv, const std::vector<int>& given) {
  // Copies above every target number, so that no dup2 overwrites a source still to be copied.
  std::vector<int> sources;
  for (int fd : given) {
    sources.push_back(::fcntl(fd, F_DUPFD_CLOEXEC, 3 + static_cast<int>(given.size())));
    if (sources.back() < 0) {
      for (int s : sources)
        if (s >= 0) ::close(s);
      return fail(std::string("dup: ") + std::strerror(errno));
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    posix_spawn_file_actions_adddup2(&actions, sources[i], 3 + static_cast<int>(i));
  }
  posix_spawn_file_actions_addclosefrom_np(&actions, 3 + static_cast<int>(given.size()));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char* env[] = {const_cast<char*>(kToolPath), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env);
  posix_spawn_file_actions_destroy(&actions);
  for (int fd : sources) ::close(fd);
  if (rc != 0) return fail("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// Waits until `fd` is readable, up to `deadline`.
bool readable(int fd, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// Runs a short tool (ip, nsenter) to its end; its output is the error's message.
Result<void> run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  ProcessOptions process;
  process.argv = argv;
  process.env = {kToolPath};
  process.timeout = timeout;
  std::string output;
  auto outcome = run_process(process, [&](std::string_view bytes) {
    if (output.size() < 1000) output.append(bytes);
  });
  if (!outcome) return std::unexpected(outcome.error());
  if (outcome->exit_code != 0) {
    while (!output.empty() && output.back() == '\n') output.pop_back();
    return fail(argv[0] + " " + argv[1] + " failed (exit " + std::to_string(outcome->exit_code) +
                "): " + output);
  }
  return {};
}

}  // namespace

std::vector<std::string> slirp_argv(const std::string& netns, const std::string& userns) {
  // As root, --userns-path names slirp4netns's own user namespace: joining it fails with
  // EINVAL, which slirp4netns ignores, so it enters the network namespace as the root it is
  // (joining the sandbox's would leave it without the capability to). It handles a
  // step's packets: seccomp confines it. (Not --enable-sandbox: its mount namespace unmounts,
  // through /run/netns's shared propagation, the very namespace a container is to join.)
  return {"slirp4netns",
          "--configure",
          "--mtu=65520",
          "--disable-host-loopback",
          "--enable-seccomp",
          "--ready-fd=3",
          "--exit-fd=4",
          "--netns-type=path",
          "--userns-path=" + (userns.empty() ? "/proc/self/ns/user" : userns),
          netns,
          kNatDevice};
}

std::vector<std::string> block_link_local_argv(const std::string& netns) {
  return {"nsenter", "--net=" + netns, "--", kIp, "route", "add", "prohibit", kLinkLocal};
}

Result<std::unique_ptr<Nat>> Nat::attach(const std::string& netns, const std::string& userns,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int ready[2], quit[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(quit, O_CLOEXEC) != 0) {
    ::close(ready[0]);
    ::close(ready[1]);
    return fail(std::string("pipe: ") + std::strerror(errno));
  }
  auto pid = spawn(slirp_argv(netns, userns), {ready[1], quit[0]});
  ::close(ready[1]);
  ::close(quit[0]);
  if (!pid) {
    ::close(ready[0]);
    ::close(quit[1]);
    return std::unexpected(pid.error());
  }
  std::unique_ptr<Nat> nat(new Nat(*pid, quit[1]));
  char byte = 0;
  const bool up = readable(ready[0], deadline) && ::read(ready[0], &byte, 1) == 1 && byte == '1';
  ::close(ready[0]);
  if (!up) return fail("slirp4netns did not configure the step's network");
  if (::geteuid() != 0) return nat;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (auto blocked =
          run_tool(block_link_local_argv(netns), std::max(left, std::chrono::milliseconds(1000)));
      !blocked) {
    return std::unexpected(blocked.error());
  }
  return nat;
}

Nat::~Nat() {
  ::close(exit_fd_);  // slirp4netns exits on this
  // It exits at once; should it not, it must not linger.
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    ::usleep(10000);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

Result<std::unique_ptr<SandboxNetwork>> SandboxNetwork::prepare() {
  std::unique_ptr<SandboxNetwork> n(new SandboxNetwork());
  int info[2], block[2];
  if (::pipe2(info, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  n->info_read_ = info[0];
  n->info_write_ = info[1];
  if (::pipe2(block, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  n->block_read_ = block[0];
  n->block_write_ = block[1];
  return n;
}

SandboxNetwork::~SandboxNetwork() {
  for (int* fd : {&info_read_, &info_write_, &block_read_, &block_write_}) close_fd(*fd);
}

Result<void> SandboxNetwork::attach(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // bwrap holds its own copies now: ours would keep the info pipe open past its end.
  close_fd(info_write_);
  close_fd(block_read_);
  std::string info;
  char buf[512];
  // {"child-pid": N, ...}: bwrap writes it once and closes the descriptor.
  while (info.find('}') == std::string::npos && info.size() < 4096) {
    if (!readable(info_read_, deadline)) break;
    const ssize_t n = ::read(info_read_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    info.append(buf, static_cast<std::size_t>(n));
  }
  const auto key = info.find("\"child-pid\"");
  const auto colon = key == std::string::npos ? key : info.find(':', key);
  const auto digits = colon == std::string::npos ? colon : info.find_first_of("0123456789", colon);
  if (digits == std::string::npos) return fail("the sandbox did not report its process");
  const std::string pid =
      info.substr(digits, info.find_first_not_of("0123456789", digits) - digits);
  // bwrap reports the pid before its sandbox has brought up loopback, and its netlink requests
  // fail when slirp4netns configures the namespace at the same time. Loopback is up once its
  // address has a local route.
  for (;;) {
    std::ifstream routes("/proc/" + pid + "/net/fib_trie");
    const std::string text{std::istreambuf_iterator<char>(routes), {}};
    if (text.find("127.0.0.1") != std::string::npos) break;
    if (!routes.is_open() || Clock::now() >= deadline) {
      return fail("the sandbox did not bring up its loopback");
    }
    ::usleep(1000);
  }
  auto nat =
      Nat::attach("/proc/" + pid + "/ns/net", ::geteuid() == 0 ? "" : "/proc/" + pid + "/ns/user",
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  if (!nat) return std::unexpected(nat.error());
  nat_ = std::move(*nat);
  const char go = '1';
  if (::write(block_write_, &go, 1) != 1) return fail("the sandbox is gone");
  close_fd(block_write_);
  return {};
}

Result<std::unique_ptr<NamedNetwork>> NamedNetwork::create(const std::string& name,
                                                           std::chrono::milliseconds timeout) {
  // What a killed daemon left under this name goes first.
  (void)run_tool({kIp, "netns", "delete", name}, timeout);
  if (auto added = run_tool({kIp, "netns", "add", name}, timeout); !added) {
    return std::unexpected(added.error());
  }
  std::unique_ptr<NamedNetwork> n(new NamedNetwork(name));
  auto nat = Nat::attach(n->path(), "", timeout);
  if (!nat) return std::unexpected(nat.error());
  n->nat_ = std::move(*nat);
  return n;
}

NamedNetwork::~NamedNetwork() {
  nat_.reset();
  (void)run_tool({kIp, "netns", "delete", name_}, std::chrono::seconds(10));
}

}  // namespace juanie::runner
