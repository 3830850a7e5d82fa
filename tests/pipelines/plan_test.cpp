#include "pipelines/plan.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

Pipeline parse(const std::string& text) {
  auto p = parse_pipeline(text, ".juanie.yml");
  EXPECT_TRUE(p) << p.error().message;
  return *p;
}

RunContext develop() {
  return RunContext{"shop-api",
                    "refs/heads/develop",
                    "branch",
                    "develop",
                    "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
                    "dev",
                    "push",
                    42};
}

std::vector<std::string> names(const std::vector<PlannedStep>& steps) {
  std::vector<std::string> out;
  for (const auto& s : steps) out.push_back(s.step.name + (s.skipped ? "(skipped)" : ""));
  return out;
}

std::string var(const PlannedStep& s, const std::string& name) {
  for (const auto& [k, v] : s.env) {
    if (k == name) return v;
  }
  return "<unset>";
}

TEST(Plan, DependenciesFirstOtherwiseFileOrder) {
  auto p = parse(
      "steps:\n"
      "  - {name: deploy-check, commands: [x], depends_on: [build, test]}\n"
      "  - {name: lint, commands: [x]}\n"
      "  - {name: test, commands: [x], depends_on: [build]}\n"
      "  - {name: build, commands: [x]}\n");
  EXPECT_EQ(names(plan(p, develop())),
            (std::vector<std::string>{"lint", "build", "test", "deploy-check"}));
}

TEST(Plan, WhenFiltersAndSkipsDependents) {
  auto p = parse(
      "steps:\n"
      "  - {name: test, commands: [x]}\n"
      "  - {name: integration, commands: [x], when: {branch: [\"release/*\", main]}}\n"
      "  - {name: report, commands: [x], depends_on: [integration]}\n"
      "  - {name: prod-only, commands: [x], when: {environment: prod}}\n"
      "  - {name: manual-only, commands: [x], when: {event: manual}}\n");
  auto steps = plan(p, develop());
  EXPECT_EQ(names(steps),
            (std::vector<std::string>{"test", "integration(skipped)", "report(skipped)",
                                      "prod-only(skipped)", "manual-only(skipped)"}));
  EXPECT_EQ(steps[1].skip_reason, "when.branch does not match develop");
  EXPECT_EQ(steps[2].skip_reason, "depends on skipped step integration");
  EXPECT_EQ(steps[3].skip_reason, "when.environment does not include dev");
  RunContext release = develop();
  release.branch = "release/2.4";
  release.ref = "refs/heads/release/2.4";
  EXPECT_FALSE(plan(p, release)[1].skipped);
}

TEST(Plan, StepsGetJuanieVariablesThenTheirOwn) {
  auto p = parse("steps:\n  - {name: a, commands: [x], env: {MODE: fast}}\n");
  auto steps = plan(p, develop());
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(var(steps[0], "CI"), "true");
  EXPECT_EQ(var(steps[0], "JUANIE_PROJECT"), "shop-api");
  EXPECT_EQ(var(steps[0], "JUANIE_REF"), "refs/heads/develop");
  EXPECT_EQ(var(steps[0], "JUANIE_BRANCH"), "develop");
  EXPECT_EQ(var(steps[0], "JUANIE_SHA"), "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5");
  EXPECT_EQ(var(steps[0], "JUANIE_ENVIRONMENT"), "dev");
  EXPECT_EQ(var(steps[0], "JUANIE_RUN"), "42");
  EXPECT_EQ(var(steps[0], "MODE"), "fast");
  RunContext unmapped = develop();
  unmapped.environment.reset();
  EXPECT_EQ(var(plan(p, unmapped)[0], "JUANIE_ENVIRONMENT"), "");
}

RunContext pull_request() {
  RunContext run = develop();
  run.ref = "refs/pull/7/head";
  run.branch = "feature/login";
  run.environment.reset();
  run.event = "pull_request";
  run.pr_number = 7;
  run.pr_title = "Log in with a passkey";
  run.source_branch = "feature/login";
  run.target_branch = "release/2.4";
  return run;
}

TEST(Plan, PullRequestEventAndTargetBranch) {
  auto p = parse(
      "steps:\n"
      "  - {name: test, commands: [x]}\n"
      "  - {name: pr-only, commands: [x], when: {event: pull_request}}\n"
      "  - {name: push-only, commands: [x], when: {event: push}}\n"
      "  - {name: to-release, commands: [x], when: {target_branch: \"release/*\"}}\n"
      "  - {name: to-main, commands: [x], when: {target_branch: [main, master]}}\n");
  auto pr = plan(p, pull_request());
  EXPECT_EQ(names(pr), (std::vector<std::string>{"test", "pr-only", "push-only(skipped)",
                                                 "to-release", "to-main(skipped)"}));
  EXPECT_EQ(pr[2].skip_reason, "when.event does not include pull_request");
  EXPECT_EQ(pr[4].skip_reason, "when.target_branch does not match release/2.4");
  auto push = plan(p, develop());
  EXPECT_EQ(names(push), (std::vector<std::string>{"test", "pr-only(skipped)", "push-only",
                                                   "to-release(skipped)", "to-main(skipped)"}));
  EXPECT_EQ(push[3].skip_reason, "when.target_branch: not a pull request run");
}

TEST(Plan, PullRequestVariables) {
  auto p = parse("steps:\n  - {name: a, commands: [x]}\n");
  auto pr = plan(p, pull_request())[0];
  EXPECT_EQ(var(pr, "JUANIE_EVENT"), "pull_request");
  EXPECT_EQ(var(pr, "JUANIE_PR"), "7");
  EXPECT_EQ(var(pr, "JUANIE_PR_TITLE"), "Log in with a passkey");
  EXPECT_EQ(var(pr, "JUANIE_SOURCE_BRANCH"), "feature/login");
  EXPECT_EQ(var(pr, "JUANIE_TARGET_BRANCH"), "release/2.4");
  EXPECT_EQ(var(pr, "JUANIE_BRANCH"), "feature/login");
  EXPECT_EQ(var(pr, "JUANIE_ENVIRONMENT"), "");
  auto push = plan(p, develop())[0];
  EXPECT_EQ(var(push, "JUANIE_EVENT"), "push");
  EXPECT_EQ(var(push, "JUANIE_PR"), "");
  EXPECT_EQ(var(push, "JUANIE_TARGET_BRANCH"), "");
}

}  // namespace
}  // namespace juanie::pipelines
