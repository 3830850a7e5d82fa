#include "pipelines/split.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

using Parts = std::vector<std::string_view>;

TEST(Split, KeepsEmptyPartsAtEitherEndAndBetween) {
  EXPECT_EQ(split("a,,b", ','), (Parts{"a", "", "b"}));
  EXPECT_EQ(split(",a,", ','), (Parts{"", "a", ""}));
  EXPECT_EQ(split("", ','), (Parts{""}));
  EXPECT_EQ(split("abc", ','), (Parts{"abc"}));
}

}  // namespace
}  // namespace juanie::pipelines
