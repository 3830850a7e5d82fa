#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "pipelines/pipeline_file.hpp"
#include "pipelines/plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto pipeline = juanie::pipelines::parse_pipeline(text, ".juanie.yml");
  if (!pipeline) return 0;
  // A pipeline that parses plans every step exactly once, dependencies first.
  juanie::pipelines::RunContext run{
      "p", "refs/heads/main", "branch", "main", std::string(40, 'a'), "prod", "push", 1};
  auto steps = juanie::pipelines::plan(*pipeline, run);
  if (steps.size() != pipeline->steps.size()) std::abort();
  std::set<std::string> seen;
  for (const auto& s : steps) {
    for (const auto& dep : s.step.depends_on) {
      if (!seen.contains(dep)) std::abort();
    }
    seen.insert(s.step.name);
  }
  return 0;
}
