#include "pipelines/scheduling.hpp"

#include <utility>

namespace juanie::pipelines {

ScheduleDecision schedule(const std::vector<QueuedRun>& queued,
                          const std::map<std::string, RunningRuns>& running,
                          const ScheduleLimits& limits) {
  ScheduleDecision decision;
  // The newest queued run of each (project, ref) survives.
  std::map<std::pair<std::string, std::string>, std::int64_t> newest;
  for (const auto& run : queued) newest[{run.project, run.ref}] = run.id;
  int total = 0;
  std::map<std::string, RunningRuns> per_project = running;
  for (const auto& [project, n] : running) total += n.all;
  for (const auto& run : queued) {
    const std::int64_t survivor = newest[{run.project, run.ref}];
    if (survivor != run.id) {
      decision.superseded.emplace(run.id, survivor);
      continue;
    }
    if (total >= limits.concurrent_runs) continue;
    auto& project = per_project[run.project];
    if (project.all >= limits.per_project) continue;
    if (run.fork) {
      const auto cap = limits.forks_per_project.find(run.project);
      if (cap != limits.forks_per_project.end() && project.forks >= cap->second) continue;
      ++project.forks;
    }
    decision.start.push_back(run.id);
    ++total;
    ++project.all;
  }
  return decision;
}

}  // namespace juanie::pipelines
