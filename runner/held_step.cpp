#include "runner/held_step.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runner/program_path.hpp"

namespace juanie::runner {
namespace {

std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool same(const CgroupLimits& a, const CgroupLimits& b) {
  return a.memory == b.memory && a.processes == b.processes;
}

// /bin/sh -s in a group of its own, stdin and stdout+stderr on new pipes, nothing else open,
// default signal handling, an empty environment.
Result<HeldStep> spawn_held(StepCgroup cgroup) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return fail(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
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
  char sh[] = "/bin/sh", dash_s[] = "-s";
  char* argv[] = {sh, dash_s, nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, sh, &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    return fail(std::string("cannot start /bin/sh: ") + std::strerror(rc));
  }
  HeldStep held(std::move(cgroup), pid, in[1], out[0]);
  const std::string adj = "/proc/" + std::to_string(pid) + "/oom_score_adj";
  const int fd = ::open(adj.c_str(), O_WRONLY | O_CLOEXEC);
  const bool adjusted = fd >= 0 && ::write(fd, "1000", 4) == 4;
  if (fd >= 0) ::close(fd);
  if (!adjusted) return fail("cannot write " + adj);
  if (auto ok = held.cgroup.attach(pid); !ok) return std::unexpected(ok.error());
  return held;
}

}  // namespace

std::string exec_line(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::string line = "unset PWD OLDPWD\n";
  for (const auto& e : env) line += "export " + quoted(e) + "\n";
  line += "exec";
  for (const auto& a : argv) line += " " + quoted(a);
  return line + " </dev/null\n";
}

HeldStep::HeldStep(HeldStep&& other) noexcept
    : cgroup(std::move(other.cgroup)),
      pid(other.pid),
      command(other.command),
      output(other.output) {
  other.pid = -1;
  other.command = -1;
  other.output = -1;
}

HeldStep::~HeldStep() {
  if (command >= 0) ::close(command);
  if (output >= 0) ::close(output);
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

Result<void> HeldStep::start(const std::vector<std::string>& argv,
                             const std::vector<std::string>& env) {
  if (argv.empty()) return fail("no command to run");
  std::vector<std::string> resolved = argv;
  resolved[0] = program_path(argv[0]);
  const std::string line = exec_line(resolved, env);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(command, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return fail(std::string("cannot give the step its command: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  ::close(command);
  command = -1;
  return {};
}

HeldSteps::HeldSteps(std::function<Result<StepCgroup>(const CgroupLimits&)> make_cgroup)
    : make_cgroup_(std::move(make_cgroup)), thread_([this] { refill(); }) {}

HeldSteps::~HeldSteps() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::optional<HeldStep> HeldSteps::take(const CgroupLimits& limits) {
  std::optional<HeldStep> out;
  {
    std::lock_guard lock(mutex_);
    if (ready_) {
      // One that died meanwhile (the OOM killer's first pick) is not given a step. Reaped
      // here, its number may be another process's at once: its destructor must not kill or
      // wait for that one.
      const bool alive = ::waitpid(ready_->pid, nullptr, WNOHANG) == 0;
      if (!alive) ready_->pid = -1;
      if (alive && ready_limits_ && same(*ready_limits_, limits)) out.emplace(std::move(*ready_));
    }
    ready_.reset();  // one made for other limits goes
    wanted_ = limits;
  }
  wake_.notify_all();
  return out;
}

bool HeldSteps::ready_for(const CgroupLimits& limits) const {
  std::lock_guard lock(mutex_);
  return ready_ && ready_limits_ && same(*ready_limits_, limits);
}

void HeldSteps::refill() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || (wanted_ && !ready_); });
    if (stopping_) return;
    const CgroupLimits limits = *wanted_;
    lock.unlock();
    std::optional<HeldStep> made;
    if (auto cgroup = make_cgroup_(limits)) {
      if (auto held = spawn_held(std::move(*cgroup))) made.emplace(std::move(*held));
    }
    lock.lock();
    if (!made) {
      wanted_.reset();  // tried once; the steps make their own until asked again
      continue;
    }
    ready_.emplace(std::move(*made));
    ready_limits_ = limits;
  }
}

}  // namespace juanie::runner
