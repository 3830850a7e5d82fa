#include "pipelines/pipeline_file.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "pipelines/image_reference.hpp"
#include "pipelines/node_label.hpp"
#include "pipelines/yaml_reader.hpp"

namespace juanie::pipelines {
namespace {

// A step's name is made as a node label is (it names containers and log files).
bool is_step_name(std::string_view name) {
  return is_node_label(name);
}

bool is_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A list of strings, or one string standing for a list of one.
std::vector<std::string> string_or_list(MapReader& r, std::string_view key) {
  auto node = r.child(key);
  if (!node) return {};
  if (node->IsScalar()) return {node->Scalar()};
  auto list = r.optional_string_list(key);
  return list.value_or(std::vector<std::string>{});
}

// runs_on: node labels, one or a list.
// A node has a handful of labels; a file asking for more is a mistake or an attack on the
// claim's comparisons and on the reasons that name them.
constexpr std::size_t kMaxLabels = 16;

std::vector<std::string> parse_runs_on(MapReader& r) {
  auto labels = string_or_list(r, "runs_on");
  if (labels.size() > kMaxLabels) {
    r.fail_at(
        *r.child("runs_on"), "runs_on",
        "at most " + std::to_string(kMaxLabels) + " labels, not " + std::to_string(labels.size()));
  }
  for (const auto& label : labels) {
    if (!is_node_label(label)) {
      r.fail_at(
          *r.child("runs_on"), "runs_on",
          "\"" + label + "\" must be 1 to 63 letters, digits, '-', '_' or '.' (a node label)");
    }
  }
  return labels;
}

When parse_when(MapReader& step) {
  When when;
  auto node = step.child("when");
  if (!node) return when;
  MapReader r = step.nested(*node, step.field("when"));
  when.branches = string_or_list(r, "branch");
  for (auto& b : string_or_list(r, "branches")) when.branches.push_back(std::move(b));
  when.events = string_or_list(r, "event");
  for (auto& e : string_or_list(r, "events")) when.events.push_back(std::move(e));
  for (const auto& e : when.events) {
    if (std::find(std::begin(kPipelineEvents), std::end(kPipelineEvents), e) ==
        std::end(kPipelineEvents)) {
      r.fail_at(*r.child(r.child("event") ? "event" : "events"), "event",
                "\"" + e + "\" is not an event (push, tag, manual or pull_request)");
    }
  }
  when.target_branches = string_or_list(r, "target_branch");
  for (auto& b : string_or_list(r, "target_branches")) when.target_branches.push_back(std::move(b));
  when.environments = string_or_list(r, "environment");
  for (auto& e : string_or_list(r, "environments")) when.environments.push_back(std::move(e));
  r.finish();
  return when;
}

Step parse_step(const MapReader& root, const YAML::Node& node, std::size_t index) {
  MapReader r = root.nested(node, "steps[" + std::to_string(index) + "]");
  if (!node.IsMap()) r.fail_here("a step must be a mapping with name and commands");
  Step step;
  step.line = node.Mark().line + 1;
  step.name = r.required_string("name");
  if (!is_step_name(step.name)) {
    r.fail_at(*r.child("name"), "name",
              "\"" + step.name + "\" must be letters, digits, '.', '_' or '-' (at most 63)");
  }
  if (auto image = r.optional_string("image")) {
    // Checked here, not left to the engine: "--privileged" would be read as an option.
    if (auto problem = image_reference_problem(*image)) {
      r.fail_at(*r.child("image"), "image", "\"" + *image + "\" " + *problem);
    }
    step.image = *image;
  }
  auto commands = r.required_child("commands");
  if (commands.IsScalar()) {
    step.commands = {commands.Scalar()};
  } else {
    step.commands = r.optional_string_list("commands").value_or(std::vector<std::string>{});
  }
  if (step.commands.empty()) r.fail_at(commands, "commands", "needs at least one command");
  if (auto env = r.child("env")) {
    MapReader e = r.nested(*env, r.field("env"));
    for (const auto& entry : *env) {
      const std::string name = entry.first.Scalar();
      if (!is_env_name(name)) e.fail_at(entry.first, name, "is not a valid variable name");
      if (name.starts_with("JUANIE_") || name == "CI") {
        e.fail_at(entry.first, name, "is set by juanie and cannot be overridden");
      }
      if (!entry.second.IsScalar()) e.fail_at(entry.second, name, "must be a string");
      e.child(name);
      step.env.emplace_back(name, entry.second.Scalar());
    }
    e.finish();
  }
  if (auto secrets = r.optional_string_list("secrets")) {
    for (const auto& s : *secrets) {
      if (!is_env_name(s))
        r.fail_at(*r.child("secrets"), "secrets", "\"" + s + "\" is not a valid name");
    }
    step.secrets = *secrets;
  }
  step.timeout = r.optional_duration("timeout");
  step.network = r.optional_bool("network").value_or(false);
  step.when = parse_when(r);
  step.depends_on = string_or_list(r, "depends_on");
  step.runs_on = parse_runs_on(r);
  r.finish();
  return step;
}

// Depth-first search for a cycle; returns the names along it ("a → b → a").
bool find_cycle(const std::vector<Step>& steps, const std::map<std::string, std::size_t>& index,
                std::size_t at, std::vector<int>& state, std::vector<std::string>& path) {
  state[at] = 1;
  path.push_back(steps[at].name);
  for (const auto& dep : steps[at].depends_on) {
    const std::size_t next = index.at(dep);
    if (state[next] == 1) {
      path.push_back(dep);
      return true;
    }
    if (state[next] == 0 && find_cycle(steps, index, next, state, path)) return true;
  }
  state[at] = 2;
  path.pop_back();
  return false;
}

Pipeline parse(const YAML::Node& doc, std::string_view file) {
  if (!doc.IsMap()) {
    throw FieldError(location(file, doc.Mark(), "", true) +
                     "a pipeline file must be a mapping with steps");
  }
  MapReader root(doc, std::string(file), "", true);
  Pipeline pipeline;
  YAML::Node steps = root.required_child("steps");
  if (!steps.IsSequence() || steps.size() == 0) {
    root.fail_at(steps, "steps", "must be a non-empty list of steps");
  }
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    Step step = parse_step(root, steps[i], i);
    if (auto it = index.find(step.name); it != index.end()) {
      MapReader(steps[i], std::string(file), "steps[" + std::to_string(i) + "]", true)
          .fail_at(steps[i]["name"], "name",
                   "\"" + step.name + "\" is already the name of the step on line " +
                       std::to_string(pipeline.steps[it->second].line));
    }
    index.emplace(step.name, pipeline.steps.size());
    pipeline.steps.push_back(std::move(step));
  }
  for (std::size_t i = 0; i < pipeline.steps.size(); ++i) {
    for (const auto& dep : pipeline.steps[i].depends_on) {
      if (!index.contains(dep)) {
        MapReader(steps[i], std::string(file), "steps[" + std::to_string(i) + "]", true)
            .fail_at(steps[i]["depends_on"], "depends_on", "no step is named \"" + dep + "\"");
      }
    }
  }
  std::vector<int> state(pipeline.steps.size(), 0);
  for (std::size_t i = 0; i < pipeline.steps.size(); ++i) {
    std::vector<std::string> path;
    if (state[i] == 0 && find_cycle(pipeline.steps, index, i, state, path)) {
      std::string cycle;
      const auto start = std::find(path.begin(), path.end(), path.back());
      for (auto it = start; it != path.end(); ++it) cycle += (it == start ? "" : " → ") + *it;
      const std::size_t at = index.at(*start);
      MapReader(steps[at], std::string(file), "steps[" + std::to_string(at) + "]", true)
          .fail_at(steps[at]["depends_on"], "depends_on", "steps depend on each other: " + cycle);
    }
  }
  if (auto image = root.child("image")) {
    MapReader r = root.nested(*image, "image");
    ImageBuild build;
    if (auto v = r.optional_string("dockerfile")) build.dockerfile = *v;
    if (auto v = r.optional_string("context")) build.context = *v;
    if (auto v = r.optional_bool("network")) build.network = *v;
    for (const auto* path : {&build.dockerfile, &build.context}) {
      // A leading '-' would be read as an option by the engine.
      if (path->starts_with("/") || path->starts_with("-") ||
          path->find("..") != std::string::npos) {
        r.fail_here("dockerfile and context must be paths inside the repository");
      }
    }
    r.finish();
    pipeline.image = build;
  }
  pipeline.runs_on = parse_runs_on(root);
  if (const auto all = labels_needed(pipeline).size(); all > kMaxLabels) {
    root.fail_here("runs_on: the pipeline and its steps ask for " + std::to_string(all) +
                   " different labels; at most " + std::to_string(kMaxLabels));
  }
  root.finish();
  return pipeline;
}

}  // namespace

std::vector<std::string> labels_needed(const Pipeline& pipeline) {
  std::vector<std::string> out;
  std::set<std::string_view> seen;
  auto add = [&](const std::vector<std::string>& labels) {
    for (const auto& label : labels) {
      if (seen.insert(label).second) out.push_back(label);
    }
  };
  add(pipeline.runs_on);
  for (const auto& step : pipeline.steps) add(step.runs_on);
  return out;
}

Result<Pipeline> parse_pipeline(std::string_view text, std::string_view file) {
  return read_document(text, file, [&](const YAML::Node& doc) { return parse(doc, file); });
}

}  // namespace juanie::pipelines
