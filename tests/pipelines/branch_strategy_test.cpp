#include "pipelines/branch_strategy.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace juanie::pipelines {
namespace {

struct Mapping {
  const char* ref;
  std::optional<std::string> environment;
  Trigger trigger;
};

std::optional<std::string> env_of(const std::vector<Rule>& rules, const char* full_ref) {
  const Rule* rule = match_rule(rules, *parse_ref(full_ref));
  if (!rule) return std::nullopt;
  return rule->environment;
}

// The platform's strategy table from DESIGN.md, row by row.
TEST(BranchStrategy, DefaultsFollowThePlatformTable) {
  const auto rules = default_rules();
  const Mapping table[] = {
      {"refs/heads/feature/login", "dev", Trigger::kPush},
      {"refs/heads/develop", "dev", Trigger::kPush},
      {"refs/heads/release/2.4", "staging", Trigger::kPush},
      {"refs/heads/main", "prod", Trigger::kManual},
  };
  for (const auto& row : table) {
    const Rule* rule = match_rule(rules, *parse_ref(row.ref));
    ASSERT_NE(rule, nullptr) << row.ref;
    EXPECT_EQ(rule->environment, *row.environment) << row.ref;
    EXPECT_EQ(rule->trigger, row.trigger) << row.ref;
  }
}

TEST(BranchStrategy, UnmatchedBranchesDeployNowhere) {
  const auto rules = default_rules();
  EXPECT_EQ(env_of(rules, "refs/heads/hotfix/x"), std::nullopt);
  EXPECT_EQ(env_of(rules, "refs/heads/developer"), std::nullopt);
  EXPECT_EQ(env_of(rules, "refs/heads/mainline"), std::nullopt);
  EXPECT_EQ(env_of(rules, "refs/heads/feature/a/b"), std::nullopt);
}

TEST(BranchStrategy, TagsNeedATagRule) {
  auto rules = default_rules();
  EXPECT_EQ(env_of(rules, "refs/tags/main"), std::nullopt);  // a tag named like a branch
  rules.push_back(Rule{RefKind::kTag, "v*", "prod", Trigger::kManual});
  EXPECT_EQ(env_of(rules, "refs/tags/v1.0.0"), "prod");
  EXPECT_EQ(env_of(rules, "refs/heads/v1.0.0"), std::nullopt);
}

TEST(BranchStrategy, FirstMatchWins) {
  const std::vector<Rule> rules{
      {RefKind::kBranch, "release/hotfix-*", "dev", Trigger::kPush},
      {RefKind::kBranch, "release/*", "staging", Trigger::kPush},
  };
  EXPECT_EQ(env_of(rules, "refs/heads/release/hotfix-1"), "dev");
  EXPECT_EQ(env_of(rules, "refs/heads/release/2.0"), "staging");
}

TEST(BranchStrategy, TriggerNames) {
  EXPECT_EQ(parse_trigger("manual"), Trigger::kManual);
  EXPECT_EQ(parse_trigger("push"), Trigger::kPush);
  EXPECT_EQ(parse_trigger("Manual"), std::nullopt);
  EXPECT_EQ(to_string(Trigger::kManual), "manual");
}

}  // namespace
}  // namespace juanie::pipelines
