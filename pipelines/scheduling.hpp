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
  bool fork = false;  // a pull request run whose head is another repository's
};

struct ScheduleLimits {
  int concurrent_runs = 2;  // across all projects
  int per_project = 2;      // within one project
  // Runs of pull requests from forks, within one project (pull_requests.max_concurrent_forks):
  // anyone may open them, so they must not fill the project's places. Whatever is listed, fork
  // runs leave one place of the daemon and one of each project to other runs (when there are
  // two or more).
  std::map<std::string, int> forks_per_project;
};

// Runs in progress of one project.
struct RunningRuns {
  int all = 0;
  int forks = 0;  // of them, pull request runs from forks
};

struct ScheduleDecision {
  std::vector<std::int64_t> start;
  // Older queued runs of a ref that has a newer queued run: cancelled, never started.
  std::map<std::int64_t, std::int64_t> superseded;  // run → the run that supersedes it
};

// What to do with the queue now: I/O-free, so every rule is a unit test. `queued` is oldest
// first; `running` counts runs in progress per project. A running run is never superseded. A
// run held by a limit stays queued, and runs behind it that the limit does not hold start.
ScheduleDecision schedule(const std::vector<QueuedRun>& queued,
                          const std::map<std::string, RunningRuns>& running,
                          const ScheduleLimits& limits);

}  // namespace juanie::pipelines
