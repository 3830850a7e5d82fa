#include "pipelines/scheduling.hpp"

#include <utility>

namespace juanie::pipelines {

ScheduleDecision schedule(const std::vector<QueuedRun>& queued,
                          const std::map<std::string, int>& running, const ScheduleLimits& limits) {
  ScheduleDecision decision;
  // The newest queued run of each (project, ref) survives.
  std::map<std::pair<std::string, std::string>, std::int64_t> newest;
  for (const auto& run : queued) newest[{run.project, run.ref}] = run.id;
  int total = 0;
  std::map<std::string, int> per_project = running;
  for (const auto& [project, n] : running) total += n;
  for (const auto& run : queued) {
    const std::int64_t survivor = newest[{run.project, run.ref}];
    if (survivor != run.id) {
      decision.superseded.emplace(run.id, survivor);
      continue;
    }
    if (total >= limits.concurrent_runs) continue;
    if (per_project[run.project] >= limits.per_project) continue;
    decision.start.push_back(run.id);
    ++total;
    ++per_project[run.project];
  }
  return decision;
}

}  // namespace juanie::pipelines
