#include "pipelines/units.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

using namespace std::chrono_literals;

TEST(Units, Durations) {
  EXPECT_EQ(parse_duration("30m"), 30min);
  EXPECT_EQ(parse_duration("24h"), 24h);
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("2d"), 48h);
  EXPECT_EQ(parse_duration("1m30s"), 90s);
  for (const char* bad : {"", "30", "m", "30x", "-5m", "0s", "1.5h", "99999999999999999999s"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(Units, Sizes) {
  EXPECT_EQ(parse_size("10MiB"), 10u << 20);
  EXPECT_EQ(parse_size("25MiB"), 25u << 20);
  EXPECT_EQ(parse_size("512KiB"), 512u << 10);
  EXPECT_EQ(parse_size("1GiB"), 1ull << 30);
  EXPECT_EQ(parse_size("25MB"), 25'000'000u);
  EXPECT_EQ(parse_size("4096"), 4096u);
  for (const char* bad : {"", "MiB", "10 MiB", "10mib", "1.5MiB", "99999999999999999GiB"}) {
    EXPECT_EQ(parse_size(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace juanie::pipelines
