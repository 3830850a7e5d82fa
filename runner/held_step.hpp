#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pipelines/error.hpp"
#include "runner/step_cgroup.hpp"

namespace juanie::runner {

// A step's first process made ahead of time: /bin/sh reading its one command from a pipe,
// already in a step cgroup of its own and first in the OOM killer's queue, in a process group
// of its own, holding only its two pipes. Under cgroup v1 moving a process into a cgroup waits
// for an RCU grace period (5-10 ms), so that wait is paid here, off the step's path.
struct HeldStep {
  StepCgroup cgroup;
  pid_t pid = -1;
  int command = -1;  // write end of its stdin: the command, then end of file
  int output = -1;   // read end of its stdout and stderr

  HeldStep(StepCgroup c, pid_t p, int cmd, int out)
      : cgroup(std::move(c)), pid(p), command(cmd), output(out) {}
  HeldStep(HeldStep&& other) noexcept;
  HeldStep& operator=(HeldStep&&) = delete;
  HeldStep(const HeldStep&) = delete;
  ~HeldStep();  // a step never given its command: its shell ends, its cgroup goes

  // Gives `argv` (its program found by the daemon's PATH) with environment `env` to the
  // shell, which execs it with stdin from /dev/null. Takes `command`.
  Result<void> start(const std::vector<std::string>& argv, const std::vector<std::string>& env);
};

// Pure: the line /bin/sh runs to exec `argv` with exactly `env` exported (quoted so that no
// byte of an argument is read as shell syntax).
std::string exec_line(const std::vector<std::string>& argv, const std::vector<std::string>& env);

// Makes a HeldStep for the next step while the current ones run: one is ready at a time, for
// the limits last asked for. Thread-safe.
class HeldSteps {
 public:
  explicit HeldSteps(std::function<Result<StepCgroup>(const CgroupLimits&)> make_cgroup);
  ~HeldSteps();
  HeldSteps(const HeldSteps&) = delete;
  HeldSteps& operator=(const HeldSteps&) = delete;

  // The ready one, when it has these limits; either way the next one is made with them.
  std::optional<HeldStep> take(const CgroupLimits& limits);
  // Whether one with these limits is ready now (alive or not).
  bool ready_for(const CgroupLimits& limits) const;

 private:
  void refill();
  std::function<Result<StepCgroup>(const CgroupLimits&)> make_cgroup_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<CgroupLimits> wanted_;
  std::optional<HeldStep> ready_;
  std::optional<CgroupLimits> ready_limits_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace juanie::runner
