#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace juanie::daemon {

// Tells the followers of a run's log on this node that it may have grown, so they read the
// shared store when something happened rather than five times a second each. Rung by the
// node's one LISTEN connection (store/pg_listener.hpp) for every NOTIFY on run_log, and
// entirely when that connection was lost and made again (what it missed is unknown). Runs
// share a fixed set of counters (no growth with the history): a collision only costs a
// follower one read that finds nothing new.
class RunLogBell {
 public:
  void ring(std::int64_t run) { slot(run).fetch_add(1, std::memory_order_release); }
  void ring_all() { epoch_.fetch_add(1, std::memory_order_release); }
  // Changes whenever `run`'s bell (or every bell) was rung.
  std::uint64_t generation(std::int64_t run) const {
    return slot(run).load(std::memory_order_acquire) + epoch_.load(std::memory_order_acquire);
  }

 private:
  static constexpr std::size_t kSlots = 1024;
  std::atomic<std::uint64_t>& slot(std::int64_t run) {
    return slots_[static_cast<std::uint64_t>(run) % kSlots];
  }
  const std::atomic<std::uint64_t>& slot(std::int64_t run) const {
    return slots_[static_cast<std::uint64_t>(run) % kSlots];
  }
  std::array<std::atomic<std::uint64_t>, kSlots> slots_{};
  std::atomic<std::uint64_t> epoch_{0};
};

}  // namespace juanie::daemon
