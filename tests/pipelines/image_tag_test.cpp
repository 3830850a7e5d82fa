#include "pipelines/image_tag.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

// 12 hex digits: 48 bits, not the 28 of a 7-digit short sha a pusher can grind in minutes.
TEST(ImageTag, CommitTagIsTwelveHexDigitsOfTheSha) {
  EXPECT_EQ(commit_tag("9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"), "9f8e7d6c5b4a");
}

TEST(ImageTag, BranchNamesBecomeValidTags) {
  EXPECT_EQ(branch_tag("develop"), "develop");
  EXPECT_EQ(branch_tag("release/1.2"), "release-1.2");
  EXPECT_EQ(branch_tag("feature/ünïcode+x"), "feature---n--code-x");  // UTF-8: a dash a byte
  EXPECT_EQ(branch_tag(".hidden"), "_hidden");
  EXPECT_EQ(branch_tag("-x"), "_x");
  EXPECT_EQ(branch_tag(std::string(300, 'a')).size(), 128u);
  EXPECT_EQ(branch_tag(""), "");
}

}  // namespace
}  // namespace juanie::pipelines
