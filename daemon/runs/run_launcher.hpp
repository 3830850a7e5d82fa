#pragma once

#include <stop_token>

#include "daemon/config/loader.hpp"
#include "daemon/store/runs.hpp"

namespace juanie::daemon {

// What the Scheduler calls, on a worker thread of its own, to carry a run it has just marked
// running to its end (the RunExecutor in the daemon; a recording fake in component tests).
// A stop requested on `cancel` asks it to end the run as cancelled; on `shutdown`, to stop and
// queue the run again for the next start.
class RunLauncher {
 public:
  virtual ~RunLauncher() = default;
  virtual void execute(const store::RunRecord& run, const config::LoadedProject& project,
                       std::stop_token cancel, std::stop_token shutdown) const = 0;
};

}  // namespace juanie::daemon
