#include "pipelines/environment.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

Environment find(const std::string& name) {
  for (const auto& env : default_environments()) {
    if (env.name == name) return env;
  }
  ADD_FAILURE() << "no default environment " << name;
  return {};
}

TEST(Environment, DefaultsFollowThePlatformTable) {
  const auto dev = find("dev");
  EXPECT_EQ(dev.kube_namespace, "dev");
  EXPECT_EQ(dev.replicas, 1);
  EXPECT_EQ(dev.resources, "small");
  EXPECT_EQ(dev.approval, Approval::kNone);
  const auto staging = find("staging");
  EXPECT_EQ(staging.replicas, 2);
  EXPECT_EQ(staging.resources, "medium");
  EXPECT_EQ(staging.approval, Approval::kOptional);
  const auto prod = find("prod");
  EXPECT_EQ(prod.replicas, 3);
  EXPECT_EQ(prod.resources, "large");
  EXPECT_EQ(prod.approval, Approval::kRequired);
  EXPECT_EQ(prod.required_approvals, 1);
  EXPECT_FALSE(prod.allow_self_approval);
}

TEST(Environment, ProdCannotDropItsApproval) {
  auto prod = find("prod");
  prod.approvers = {"alice"};
  EXPECT_TRUE(check_policy(prod));
  prod.approval = Approval::kNone;
  auto r = check_policy(prod);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("approval:"), std::string::npos);
}

TEST(Environment, RequiredApprovalNeedsApproversAndACount) {
  auto prod = find("prod");
  auto none = check_policy(prod);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("approvers:"), std::string::npos);
  prod.approvers = {"alice"};
  prod.required_approvals = 0;
  auto zero = check_policy(prod);
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message.find("required_approvals:"), std::string::npos);
  prod.required_approvals = 2;
  auto too_many = check_policy(prod);
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message.find("only 1 approvers"), std::string::npos);
}

TEST(Environment, ResourceClassesAreClosed) {
  auto dev = find("dev");
  dev.resources = "huge";
  EXPECT_FALSE(check_policy(dev));
  EXPECT_EQ(parse_approval("required"), Approval::kRequired);
  EXPECT_EQ(parse_approval("always"), std::nullopt);
}

}  // namespace
}  // namespace juanie::pipelines
