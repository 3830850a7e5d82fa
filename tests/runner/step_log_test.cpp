#include "runner/step_log.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace juanie::runner {
namespace {

TEST(StepLog, MasksSecretsInEveryFormEvenAcrossChunks) {
  test::TempDir dir;
  std::string live;
  {
    StepLog log(dir / "step.log", 1 << 20, {"hunter2-token"},
                [&](std::string_view b) { live += b; });
    log.write("token=hunt");
    log.write("er2-token and again hunter2-token\n");
    log.write("base64: aHVudGVyMi10b2tlbg== url: hunter2-token%21\n");
    log.close();
  }
  const std::string text = test::read_file(dir / "step.log");
  EXPECT_EQ(text, "token=*** and again ***\nbase64: ***== url: ***%21\n");
  EXPECT_EQ(live, text);
}

TEST(StepLog, UrlEncodedFormIsMasked) {
  test::TempDir dir;
  {
    StepLog log(dir / "step.log", 1 << 20, {"p@ss w/rd"});
    log.write("url=https://u:p%40ss%20w%2Frd@host\n");
  }
  EXPECT_EQ(test::read_file(dir / "step.log"), "url=https://u:***@host\n");
}

TEST(StepLog, CapsTheLogWithAMarker) {
  test::TempDir dir;
  StepLog log(dir / "step.log", 100, {});
  for (int i = 0; i < 50; ++i) log.write("0123456789");
  log.close();
  EXPECT_TRUE(log.truncated());
  const std::string text = test::read_file(dir / "step.log");
  std::string expected;
  for (int i = 0; i < 10; ++i) expected += "0123456789";
  EXPECT_EQ(text.substr(0, 100), expected);
  EXPECT_NE(text.find("[juanie: log cut at 100 bytes (limits.log_max); further output dropped]"),
            std::string::npos);
  EXPECT_LT(text.size(), 200u);
}

TEST(StepLog, ShortValuesAreNotMasked) {
  EXPECT_TRUE(masked_forms({"abc"}).empty());
  std::string text = "abc";
  mask(text, masked_forms({"abcd"}));
  EXPECT_EQ(text, "abc");
}

}  // namespace
}  // namespace juanie::runner
