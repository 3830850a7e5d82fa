#include "pipelines/scheduling.hpp"

#include <algorithm>
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
  int forks = 0;
  std::map<std::string, RunningRuns> per_project = running;
  for (const auto& [project, n] : running) {
    total += n.all;
    forks += n.forks;
  }
  // Anyone may open a pull request from a fork: such runs never take the last place of the
  // daemon or of a project, whatever max_concurrent_forks says (unless a place is all there is).
  const int forks_max = std::max(1, limits.concurrent_runs - 1);
  const int forks_per_project_max =
      std::max(1, std::min(limits.per_project, limits.concurrent_runs) - 1);
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
      const int project_max =
          std::min(forks_per_project_max,
                   cap == limits.forks_per_project.end() ? forks_per_project_max : cap->second);
      if (forks >= forks_max || project.forks >= project_max) continue;
      ++project.forks;
      ++forks;
    }
    decision.start.push_back(run.id);
    ++total;
    ++project.all;
  }
  return decision;
}

}  // namespace juanie::pipelines
