#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace juanie::daemon {

// At most one log line per `interval` for events anyone on the network can cause (refused
// approval links), so a flood costs a line, not a disk. Thread-safe; time comes from the
// caller's clock.
class LogThrottle {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  explicit LogThrottle(std::chrono::seconds interval) : interval_(interval) {}

  // The number of events left unlogged since the last line when this one is to be logged;
  // nullopt when it is to be counted only.
  std::optional<std::uint64_t> admit(TimePoint now) {
    std::lock_guard lock(mutex_);
    if (logged_once_ && now < last_ + interval_) {
      ++suppressed_;
      return std::nullopt;
    }
    logged_once_ = true;
    last_ = now;
    const std::uint64_t suppressed = suppressed_;
    suppressed_ = 0;
    return suppressed;
  }

 private:
  const std::chrono::seconds interval_;
  std::mutex mutex_;
  bool logged_once_ = false;
  TimePoint last_{};
  std::uint64_t suppressed_ = 0;
};

}  // namespace juanie::daemon
