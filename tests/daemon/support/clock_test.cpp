#include "daemon/support/clock.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon {
namespace {

using std::chrono::system_clock;

TEST(Rfc3339, ParsesWhatItWrites) {
  const auto t = system_clock::time_point(std::chrono::seconds(1'900'000'000));
  const std::string text = rfc3339(t);
  EXPECT_EQ(text, "2030-03-17T17:46:40Z");
  auto parsed = parse_rfc3339(text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, t);
  auto epoch = parse_rfc3339("1970-01-01T00:00:00Z");
  ASSERT_TRUE(epoch);
  EXPECT_EQ(epoch->time_since_epoch().count(), 0);
  auto leap_day = parse_rfc3339("2028-02-29T23:59:59Z");
  ASSERT_TRUE(leap_day);
  EXPECT_EQ(rfc3339(*leap_day), "2028-02-29T23:59:59Z");
}

TEST(Rfc3339, BadTextIsAnErrorQuotingIt) {
  for (const char* bad :
       {"", "soon", "2026-11-27", "2026-11-27T13:36:20", "2026-11-27T13:36:20+00:00",
        "2026-11-27T13:36:20.5Z", "2026-11-27 13:36:20Z", "2026-11-27T13:36:20Zjunk",
        "2026-1-27T13:36:20Z", "2026-11-7T13:36:20Z ", "2026-13-01T00:00:00Z",
        "2026-02-31T00:00:00Z", "2027-02-29T00:00:00Z", "2026-11-27T24:00:00Z",
        "2026-11-27T13:60:00Z", "2026-11-27T13:36:61Z", "2026-11-27t13:36:20z"}) {
    auto parsed = parse_rfc3339(bad);
    ASSERT_FALSE(parsed) << bad << " parsed as " << rfc3339(*parsed);
    EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalid);
    EXPECT_NE(parsed.error().message.find(std::string("\"") + bad + "\""), std::string::npos)
        << parsed.error().message;
  }
}

}  // namespace
}  // namespace juanie::daemon
