#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/config/project_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto project = juanie::daemon::config::parse_project_config(text, "projects.d/fuzz.yaml");
  if (project) {
    // What a successful parse promises the rest of the daemon.
    if (!juanie::daemon::config::is_project_name(project->name)) std::abort();
    for (const auto& rule : project->rules) {
      if (!project->environment(rule.environment)) std::abort();
    }
    for (const auto& env : project->environments) {
      if (env.name == "prod" && env.approval != juanie::pipelines::Approval::kRequired)
        std::abort();
    }
  }
  return 0;
}
