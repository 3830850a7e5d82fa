#include "pipelines/glob.hpp"

#include <gtest/gtest.h>

#include <string>

namespace juanie::pipelines {
namespace {

TEST(Glob, LiteralMatchesOnlyItself) {
  EXPECT_TRUE(glob_match("develop", "develop"));
  EXPECT_FALSE(glob_match("develop", "develop2"));
  EXPECT_FALSE(glob_match("develop", "develo"));
  EXPECT_FALSE(glob_match("develop", ""));
}

TEST(Glob, StarStaysWithinOneSegment) {
  EXPECT_TRUE(glob_match("feature/*", "feature/login"));
  EXPECT_TRUE(glob_match("feature/*", "feature/"));
  EXPECT_FALSE(glob_match("feature/*", "feature/team/login"));
  EXPECT_FALSE(glob_match("feature/*", "feature"));
  EXPECT_FALSE(glob_match("feature/*", "hotfix/login"));
  EXPECT_TRUE(glob_match("release/v*", "release/v1.2"));
}

TEST(Glob, DoubleStarCrossesSegments) {
  EXPECT_TRUE(glob_match("feature/**", "feature/team/login"));
  EXPECT_TRUE(glob_match("**", "any/thing/at/all"));
  EXPECT_TRUE(glob_match("**/hotfix", "a/b/hotfix"));
}

TEST(Glob, QuestionMarkIsOneCharacterButNotSlash) {
  EXPECT_TRUE(glob_match("v?", "v1"));
  EXPECT_FALSE(glob_match("v?", "v12"));
  EXPECT_FALSE(glob_match("a?b", "a/b"));
}

TEST(Glob, HostileInputStaysCorrect) {
  const std::string pattern = "*a*a*a*a*a*a*a*a*a*b";
  const std::string text(5000, 'a');
  EXPECT_FALSE(glob_match(pattern, text));
  EXPECT_TRUE(glob_match(pattern, text + "b"));
}

}  // namespace
}  // namespace juanie::pipelines
