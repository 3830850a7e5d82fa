#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipelines/pipeline_file.hpp"

namespace juanie::pipelines {

// What started a run, as the plan needs it.
struct RunContext {
  std::string project;
  std::string ref;       // refs/heads/develop
  std::string ref_kind;  // branch | tag
  std::string branch;    // develop (the tag's name for a tag)
  std::string sha;
  std::optional<std::string> environment;
  std::string event = "push";  // push | tag | manual | pull_request
  std::int64_t run_id = 0;
  // A pull/merge request run: its number, title and branches (`branch` is the source branch).
  std::optional<std::int64_t> pr_number;
  std::string pr_title;
  std::string source_branch;
  std::string target_branch;
};

struct PlannedStep {
  Step step;
  bool skipped = false;
  std::string skip_reason;
  // The step's environment: juanie's variables, then the step's own `env`.
  std::vector<std::pair<std::string, std::string>> env;
};

// The steps of `pipeline` for `run`, dependencies first (file order where free), each with its
// variables; a step whose `when` does not match, or that depends on a skipped step, is kept
// in the list as skipped so the run shows why it did not run.
std::vector<PlannedStep> plan(const Pipeline& pipeline, const RunContext& run);

// JUANIE_PROJECT, JUANIE_REF, JUANIE_BRANCH, JUANIE_SHA, JUANIE_ENVIRONMENT, JUANIE_RUN,
// JUANIE_EVENT, CI; and JUANIE_PR, JUANIE_PR_TITLE, JUANIE_SOURCE_BRANCH, JUANIE_TARGET_BRANCH
// (empty outside a pull request run, as JUANIE_ENVIRONMENT is without an environment).
std::vector<std::pair<std::string, std::string>> run_variables(const RunContext& run);

}  // namespace juanie::pipelines
