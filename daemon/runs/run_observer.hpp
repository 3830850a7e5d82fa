#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/support/clock.hpp"

namespace juanie::daemon {

// What the run drivers (Scheduler, RunExecutor) report as runs and steps move, for the
// metrics: the composition root connects it to Metrics, a test to a recorder. Any member may
// be empty. `result` is succeeded, failed or cancelled.
struct RunObserver {
  // A run started, `seconds` after it was queued.
  std::function<void(double seconds)> queue_waited;
  // A run ended, `seconds` after it started (not a run the daemon's stop queues again).
  std::function<void(std::string_view result, double seconds)> run_ended;
  // A step ran to an end, `seconds` long (skipped and reused steps did not run).
  std::function<void(std::string_view result, double seconds)> step_ended;
};

// Seconds from a store timestamp (RFC 3339) to `now`: 0 for none, or one in the future.
inline double seconds_since(const std::optional<std::string>& since,
                            std::chrono::system_clock::time_point now) {
  if (!since) return 0;
  auto t = parse_rfc3339(*since);
  return t ? std::max(0.0, std::chrono::duration<double>(now - *t).count()) : 0;
}

}  // namespace juanie::daemon
