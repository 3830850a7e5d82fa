#include "pipelines/plan.hpp"

#include <algorithm>
#include <map>

#include "pipelines/glob.hpp"

namespace juanie::pipelines {
namespace {

bool any_glob(const std::vector<std::string>& globs, const std::string& text) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return glob_match(g, text); });
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::optional<std::string> when_mismatch(const When& when, const RunContext& run) {
  if (!when.branches.empty() && !any_glob(when.branches, run.branch)) {
    return "when.branch does not match " + run.branch;
  }
  if (!when.events.empty() && !contains(when.events, run.event)) {
    return "when.event does not include " + run.event;
  }
  if (!when.target_branches.empty()) {
    if (!run.pr_number) return std::string("when.target_branch: not a pull request run");
    if (!any_glob(when.target_branches, run.target_branch)) {
      return "when.target_branch does not match " + run.target_branch;
    }
  }
  if (!when.environments.empty() &&
      (!run.environment || !contains(when.environments, *run.environment))) {
    return "when.environment does not include " + run.environment.value_or("(none)");
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> run_variables(const RunContext& run) {
  return {{"CI", "true"},
          {"JUANIE_PROJECT", run.project},
          {"JUANIE_REF", run.ref},
          {"JUANIE_BRANCH", run.branch},
          {"JUANIE_SHA", run.sha},
          {"JUANIE_ENVIRONMENT", run.environment.value_or("")},
          {"JUANIE_RUN", std::to_string(run.run_id)},
          {"JUANIE_EVENT", run.event},
          {"JUANIE_PR", run.pr_number ? std::to_string(*run.pr_number) : ""},
          {"JUANIE_PR_TITLE", run.pr_title},
          {"JUANIE_SOURCE_BRANCH", run.source_branch},
          {"JUANIE_TARGET_BRANCH", run.target_branch}};
}

std::vector<PlannedStep> plan(const Pipeline& pipeline, const RunContext& run) {
  const auto& steps = pipeline.steps;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < steps.size(); ++i) index.emplace(steps[i].name, i);
  // Kahn's algorithm, always taking the earliest ready step in file order.
  std::vector<std::size_t> waiting(steps.size(), 0);
  for (std::size_t i = 0; i < steps.size(); ++i) waiting[i] = steps[i].depends_on.size();
  std::vector<bool> done(steps.size(), false);
  std::map<std::string, bool> skipped;
  std::vector<PlannedStep> out;
  const auto base = run_variables(run);
  while (out.size() < steps.size()) {
    std::size_t next = steps.size();
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (!done[i] && waiting[i] == 0) {
        next = i;
        break;
      }
    }
    if (next == steps.size()) break;  // a cycle: parse_pipeline refuses those
    done[next] = true;
    const Step& step = steps[next];
    PlannedStep planned{step, false, "", base};
    for (const auto& [k, v] : step.env) planned.env.emplace_back(k, v);
    if (auto mismatch = when_mismatch(step.when, run)) {
      planned.skipped = true;
      planned.skip_reason = *mismatch;
    }
    for (const auto& dep : step.depends_on) {
      if (!planned.skipped && skipped[dep]) {
        planned.skipped = true;
        planned.skip_reason = "depends on skipped step " + dep;
      }
    }
    skipped[step.name] = planned.skipped;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      waiting[i] -= static_cast<std::size_t>(
          std::count(steps[i].depends_on.begin(), steps[i].depends_on.end(), step.name));
    }
    out.push_back(std::move(planned));
  }
  return out;
}

}  // namespace juanie::pipelines
