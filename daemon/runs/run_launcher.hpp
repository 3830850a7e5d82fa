#pragma once

#include <atomic>

#include "daemon/config/loader.hpp"
#include "daemon/store/runs.hpp"

namespace juanie::daemon {

// What the Scheduler calls, on a worker thread of its own, to carry a run it has just marked
// running to its end (the RunExecutor in the daemon; a recording fake in component tests).
// `cancel` asks it to end the run as cancelled; `shutdown` to stop and queue it again.
class RunLauncher {
 public:
  virtual ~RunLauncher() = default;
  virtual void execute(const store::RunRecord& run, const config::LoadedProject& project,
                       const std::atomic<bool>& cancel, const std::atomic<bool>& shutdown) const = 0;
};

}  // namespace juanie::daemon
