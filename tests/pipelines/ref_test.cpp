#include "pipelines/ref.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

TEST(Ref, BranchesAndTags) {
  auto branch = parse_ref("refs/heads/feature/login");
  ASSERT_TRUE(branch);
  EXPECT_EQ(branch->kind, RefKind::kBranch);
  EXPECT_EQ(branch->name, "feature/login");
  auto tag = parse_ref("refs/tags/v1.2.0");
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->kind, RefKind::kTag);
  EXPECT_EQ(tag->name, "v1.2.0");
}

TEST(Ref, OtherRefsAreNotRunnable) {
  EXPECT_FALSE(parse_ref("refs/merge-requests/1/head"));
  EXPECT_FALSE(parse_ref("refs/heads/"));
  EXPECT_FALSE(parse_ref("main"));
  EXPECT_FALSE(parse_ref(""));
}

TEST(Ref, ObjectIds) {
  EXPECT_TRUE(is_zero_sha("0000000000000000000000000000000000000000"));
  EXPECT_FALSE(is_zero_sha("0000000000000000000000000000000000000001"));
  EXPECT_FALSE(is_zero_sha(""));
  EXPECT_TRUE(is_object_id("1111111111111111111111111111111111111111"));
  EXPECT_TRUE(is_object_id(std::string(64, 'a')));
  EXPECT_FALSE(is_object_id("111111111111111111111111111111111111111"));
  EXPECT_FALSE(is_object_id("ABCDEF1111111111111111111111111111111111"));
  EXPECT_FALSE(is_object_id("zz11111111111111111111111111111111111111"));
}

}  // namespace
}  // namespace juanie::pipelines
