#pragma once

#include <chrono>

#include "daemon/support/clock.hpp"

namespace juanie::test {

// A clock that moves only when the test says so.
class ManualClock final : public daemon::Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return now_; }
  void advance(std::chrono::seconds by) { now_ += by; }

 private:
  std::chrono::system_clock::time_point now_ =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'900'000'000));
};

}  // namespace juanie::test
