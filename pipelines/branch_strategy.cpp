#include "pipelines/branch_strategy.hpp"

#include "pipelines/glob.hpp"

namespace juanie::pipelines {

std::string_view to_string(Trigger trigger) {
  return trigger == Trigger::kManual ? "manual" : "push";
}

std::optional<Trigger> parse_trigger(std::string_view text) {
  if (text == "push") return Trigger::kPush;
  if (text == "manual") return Trigger::kManual;
  return std::nullopt;
}

std::vector<Rule> default_rules() {
  return {
      Rule{RefKind::kBranch, "feature/*", "dev", Trigger::kPush},
      Rule{RefKind::kBranch, "develop", "dev", Trigger::kPush},
      Rule{RefKind::kBranch, "release/*", "staging", Trigger::kPush},
      Rule{RefKind::kBranch, "main", "prod", Trigger::kManual},
  };
}

const Rule* match_rule(const std::vector<Rule>& rules, const Ref& ref) {
  for (const Rule& rule : rules) {
    if (rule.kind == ref.kind && glob_match(rule.pattern, ref.name)) return &rule;
  }
  return nullptr;
}

}  // namespace juanie::pipelines
