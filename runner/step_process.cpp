#include "runner/step_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "runner/held_step.hpp"
#include "runner/program_path.hpp"

namespace juanie::runner {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int read = -1;
  int write = -1;
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
};

struct OwnedFd {
  int fd = -1;
  OwnedFd() = default;
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads the child's output until it and its group are gone, enforcing the timeout, cancel and
// kill_fd; reaps it.
ProcessOutcome watch(pid_t pid, int out_fd, Clock::time_point started,
                     const ProcessOptions& options,
                     const std::function<void(std::string_view)>& output) {
  ProcessOutcome outcome;
  const auto deadline = started + options.timeout;
  Clock::time_point kill_at = Clock::time_point::max();
  bool term_sent = false;
  bool open = true;
  bool kill_fd_seen = false;
  int status = 0;
  bool exited = false;
  Clock::time_point drain_until = Clock::time_point::max();
  char buf[16384];
  // Readable when the child exits: the loop wakes at once instead of polling for it.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  while (open || !exited) {
    const auto now = Clock::now();
    const bool cancel = options.cancel && options.cancel->load();
    if (!term_sent && (now >= deadline || cancel)) {
      outcome.timed_out = !cancel;
      outcome.cancelled = cancel;
      ::kill(-pid, SIGTERM);
      term_sent = true;
      kill_at = now + options.kill_grace;
    }
    if (term_sent && now >= kill_at) {
      ::kill(-pid, SIGKILL);
      kill_at = Clock::time_point::max();
    }
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      // Whatever the step left behind in its group goes with it; what it started in other
      // groups (a sandbox's own session) dies with the sandbox's PID namespace. Either way
      // the pipe reaches EOF once the last of them is gone: wait for that, within reason.
      ::kill(-pid, SIGKILL);
      drain_until = Clock::now() + options.kill_grace;
    }
    if (exited && open && Clock::now() >= drain_until) open = false;
    if (exited && !open) break;
    const int kill_fd = exited || kill_fd_seen ? -1 : options.kill_fd;
    pollfd fds[3] = {
        {open ? out_fd : -1, POLLIN, 0}, {exited ? -1 : pidfd, POLLIN, 0}, {kill_fd, POLLIN, 0}};
    const int ready = ::poll(fds, 3, 50);
    if (ready > 0 && (fds[2].revents & POLLIN)) {
      ::kill(-pid, SIGKILL);
      kill_fd_seen = true;
    }
    if (ready > 0 && (fds[0].revents & (POLLIN | POLLHUP))) {
      const ssize_t n = ::read(out_fd, buf, sizeof buf);
      if (n > 0) {
        output(std::string_view(buf, static_cast<std::size_t>(n)));
      } else if (n == 0 || errno != EINTR) {
        open = false;
      }
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

// The same for a process made ahead of time (options.held): it is given its command instead
// of being spawned.
Result<ProcessOutcome> supervise(const ProcessOptions& options,
                                 const std::function<void(std::string_view)>& output) {
  HeldStep& held = *options.held;
  const auto started = Clock::now();
  const pid_t pid = held.pid;
  auto killed = [&](Error error) -> Result<ProcessOutcome> {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    held.pid = -1;
    return std::unexpected(std::move(error));
  };
  if (auto ok = held.start(options.argv, options.env); !ok) return killed(ok.error());
  if (options.after_start) {
    if (auto ready = options.after_start(); !ready) return killed(ready.error());
  }
  auto outcome = watch(pid, held.output, started, options, output);
  held.pid = -1;  // reaped: its number may be another process's now
  return outcome;
}

}  // namespace

Result<ProcessOutcome> run_process(const ProcessOptions& options,
                                   const std::function<void(std::string_view)>& output) {
  if (options.argv.empty()) return fail("no command to run");
  if (options.held) return supervise(options, output);
  Pipe pipe;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  pipe.read = fds[0];
  pipe.write = fds[1];

  // Copies of the given descriptors above every target number, so that no dup2 below
  // overwrites one still to be copied.
  const int first_free = 3 + static_cast<int>(options.inherit.size());
  std::vector<OwnedFd> given(options.inherit.size());
  for (std::size_t i = 0; i < options.inherit.size(); ++i) {
    given[i].fd = ::fcntl(options.inherit[i], F_DUPFD_CLOEXEC, first_free);
    if (given[i].fd < 0) return fail(std::string("dup: ") + std::strerror(errno));
  }
  // A held child reads its go-ahead from stdin, then takes /dev/null as stdin and execs (the
  // given descriptors pass through the exec).
  Pipe hold;
  std::vector<std::string> held_argv;
  if (options.before_start) {
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
    hold.read = fds[0];
    hold.write = fds[1];
    held_argv = {"/bin/sh", "-c", "read -r _ && exec \"$@\" </dev/null", "juanie-held"};
    held_argv.insert(held_argv.end(), options.argv.begin(), options.argv.end());
    // Found as posix_spawnp would find it, in the daemon's PATH, not in the step's.
    held_argv[4] = program_path(options.argv[0]);
  }
  const auto& args = options.before_start ? held_argv : options.argv;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.before_start) {
    posix_spawn_file_actions_adddup2(&actions, hold.read, 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, pipe.write, 1);
  posix_spawn_file_actions_adddup2(&actions, pipe.write, 2);
  for (std::size_t i = 0; i < given.size(); ++i) {
    posix_spawn_file_actions_adddup2(&actions, given[i].fd, 3 + static_cast<int>(i));
  }
  // A clean table whatever the daemon holds: a descriptor opened without O_CLOEXEC (by a
  // library, or by another thread between its open and fcntl) must not reach a step, which
  // would then hold the daemon's listening socket or its own log file.
  posix_spawn_file_actions_addclosefrom_np(&actions, first_free);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : options.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  const auto started = Clock::now();
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail("cannot start " + options.argv[0] + ": " + std::strerror(rc));
  ::close(pipe.write);
  pipe.write = -1;
  given.clear();
  // First the cgroup (before the child runs anything), then what waits for the running
  // child (bwrap's network); a failure of either kills it and is the call's error.
  if (options.before_start) {
    ::close(hold.read);
    hold.read = -1;
    auto ready = options.before_start(pid);
    // The go-ahead, or end of file: the held child then exits without running anything.
    if (ready) (void)!::write(hold.write, "\n", 1);
    ::close(hold.write);
    hold.write = -1;
    if (!ready) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return std::unexpected(ready.error());
    }
  }
  if (options.after_start) {
    if (auto ready = options.after_start(); !ready) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return std::unexpected(ready.error());
    }
  }

  return watch(pid, pipe.read, started, options, output);
}

}  // namespace juanie::runner
