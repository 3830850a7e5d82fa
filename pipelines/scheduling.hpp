#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace juanie::pipelines {

struct QueuedRun {
  std::int64_t id = 0;
  std::string project;
  std::string ref;
};

struct ScheduleLimits {
  int concurrent_runs = 2;  // across all projects
  int per_project = 2;      // within one project
};

struct ScheduleDecision {
  std::vector<std::int64_t> start;
  // Older queued runs of a ref that has a newer queued run: cancelled, never started.
  std::map<std::int64_t, std::int64_t> superseded;  // run → the run that supersedes it
};

// What to do with the queue now: I/O-free, so every rule is a unit test. `queued` is oldest
// first; `running` counts runs in progress per project. A running run is never superseded.
ScheduleDecision schedule(const std::vector<QueuedRun>& queued,
                          const std::map<std::string, int>& running, const ScheduleLimits& limits);

}  // namespace juanie::pipelines
