#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/ref.hpp"

namespace juanie::pipelines {

// How a deployment to the mapped environment starts once its run has passed.
enum class Trigger { kPush, kManual };

std::string_view to_string(Trigger trigger);
std::optional<Trigger> parse_trigger(std::string_view text);

// One line of a project's branch strategy: refs of `kind` whose short name matches `pattern`
// deploy to `environment`.
struct Rule {
  RefKind kind = RefKind::kBranch;
  std::string pattern;
  std::string environment;
  Trigger trigger = Trigger::kPush;
};

// feature/* and develop → dev, release/* → staging, main → prod by manual trigger.
std::vector<Rule> default_rules();

// First match wins. nullptr when no rule maps the ref: a branch then runs its tests and
// deploys nowhere; a tag needs a rule to run at all.
const Rule* match_rule(const std::vector<Rule>& rules, const Ref& ref);

}  // namespace juanie::pipelines
