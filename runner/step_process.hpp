#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/error.hpp"

namespace juanie::runner {

struct HeldStep;

struct ProcessOutcome {
  int exit_code = -1;  // the exit status, or 128 + signal
  bool timed_out = false;
  bool cancelled = false;
  std::chrono::milliseconds duration{0};
};

struct ProcessOptions {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // NAME=value, the whole environment of the child
  std::chrono::milliseconds timeout{30 * 60 * 1000};
  std::chrono::milliseconds kill_grace{5000};  // between SIGTERM and SIGKILL
  const std::atomic<bool>* cancel = nullptr;   // set from another thread to stop the step
  // Given to the child as descriptors 3, 4, … in this order; it gets no other.
  std::vector<int> inherit;
  // Called once the child runs argv (after before_start), before its output is read (bwrap
  // waiting for its network); an error kills the child's group and is the call's error.
  std::function<Result<void>()> after_start;
  // Called with the child's pid before the child runs argv, which it waits for in /bin/sh:
  // the moment to move it into its cgroups. An error stops the child and is the result.
  std::function<Result<void>(int pid)> before_start;
  // Readable: the whole group is killed at once (a cgroup's out-of-memory event).
  int kill_fd = -1;
  // Run argv in this process made ahead of time (already in its cgroup) instead of spawning
  // one; it inherits nothing, so `inherit` and `before_start` must be empty.
  HeldStep* held = nullptr;
};

// Runs one step's process in a process group of its own with stdin from /dev/null and stdout
// and stderr merged into `output` as they arrive, and no other descriptor. On timeout or cancel the
// whole group gets SIGTERM, then SIGKILL after the grace period; nothing of the group outlives the
// call. The child starts with default signal dispositions and an empty signal mask, whatever the
// daemon has blocked. An error only when the process cannot be started.
Result<ProcessOutcome> run_process(const ProcessOptions& options,
                                   const std::function<void(std::string_view)>& output);

}  // namespace juanie::runner
