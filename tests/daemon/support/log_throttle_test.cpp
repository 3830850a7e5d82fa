#include "daemon/support/log_throttle.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon {
namespace {

using namespace std::chrono_literals;

TEST(LogThrottle, OneLineAnIntervalWithTheCountOfTheRest) {
  LogThrottle throttle(60s);
  const LogThrottle::TimePoint t0{std::chrono::seconds(1'900'000'000)};
  EXPECT_EQ(throttle.admit(t0), 0u);
  for (int i = 1; i <= 99; ++i)
    EXPECT_FALSE(throttle.admit(t0 + std::chrono::milliseconds(i * 100)));
  EXPECT_FALSE(throttle.admit(t0 + 59s));
  EXPECT_EQ(throttle.admit(t0 + 60s), 100u);
  EXPECT_FALSE(throttle.admit(t0 + 61s));
  EXPECT_EQ(throttle.admit(t0 + 10min), 1u);
}

}  // namespace
}  // namespace juanie::daemon
