#include "pipelines/ascii.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

// Protocol text folds A-Z only: a UTF-8 byte or another letter is never folded into ASCII.
TEST(Ascii, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(ascii_lower("Alice@Example.COM"), "alice@example.com");
  EXPECT_EQ(ascii_lower("sHa256=AbC"), "sha256=abc");
  EXPECT_EQ(ascii_lower("\xC3\x89mile"), "\xC3\x89mile");
  EXPECT_EQ(ascii_lower("[]^_`@{"), "[]^_`@{");
  EXPECT_TRUE(ascii_iequals("Octo-Org/Hello", "octo-org/hello"));
  EXPECT_FALSE(ascii_iequals("octo", "octo-"));
  EXPECT_FALSE(ascii_iequals("@", "`"));  // 0x40 and 0x60 differ by the case bit, not by case
  EXPECT_TRUE(ascii_iequals("", ""));
}

}  // namespace
}  // namespace juanie::pipelines
