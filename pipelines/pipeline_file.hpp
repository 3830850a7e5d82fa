#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipelines/error.hpp"

namespace juanie::pipelines {

// When a step runs; an empty list means "any".
struct When {
  std::vector<std::string> branches;      // globs over the branch (or tag) name
  std::vector<std::string> events;        // push | tag | manual | pull_request
  std::vector<std::string> environments;  // the run's environment
  // Globs over a pull request's target branch; a step with any runs only in pull requests.
  std::vector<std::string> target_branches;
};

struct Step {
  std::string name;
  std::string image;  // podman/docker image; bwrap maps it to a configured root filesystem
  std::vector<std::string> commands;
  std::vector<std::pair<std::string, std::string>> env;  // in file order
  std::vector<std::string> secrets;                      // names of project secrets
  std::optional<std::chrono::milliseconds> timeout;
  bool network = false;
  When when;
  std::vector<std::string> depends_on;
  // Labels the build node must have (node.labels): a run's steps share one workspace, so
  // they run on one node, which must have what any of them asks (labels_needed).
  std::vector<std::string> runs_on;
  int line = 0;  // where the step starts, for messages about it
};

// What the daemon builds and pushes after the steps pass.
struct ImageBuild {
  std::string dockerfile = "Dockerfile";
  std::string context = ".";
  bool network = false;  // the build's RUN lines get a network (to fetch packages)
};

struct Pipeline {
  std::vector<Step> steps;
  std::optional<ImageBuild> image;
  std::vector<std::string> runs_on;  // labels the run's build node must have
};

// The labels the node that runs `pipeline` must have: its own runs_on and every step's, each
// once, in the order first asked.
std::vector<std::string> labels_needed(const Pipeline& pipeline);

inline constexpr std::string_view kPipelineEvents[] = {"push", "tag", "manual", "pull_request"};

// Parses and validates `.juanie.yml`. Errors are `file:line:col: field: message`: unknown keys,
// wrong types, duplicate step names, unknown or cyclic depends_on.
Result<Pipeline> parse_pipeline(std::string_view text, std::string_view file);

}  // namespace juanie::pipelines
