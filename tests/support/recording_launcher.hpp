#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "daemon/runs/run_launcher.hpp"

namespace juanie::test {

// The Scheduler's launcher in component tests: records each run it is given and holds it (as
// a long step would) until the test releases it or the Scheduler asks it to stop (cancel or
// shutdown). What the run's end writes to the store is the test's to write.
class RecordingLauncher final : public daemon::RunLauncher {
 public:
  void execute(const daemon::store::RunRecord& run, const daemon::config::LoadedProject& project,
               std::stop_token cancel, std::stop_token shutdown) const override {
    // Before the lock: a callback whose token was already stopped runs here, at once.
    auto notify = [this] {
      std::lock_guard lock(mutex_);
      changed_.notify_all();
    };
    const std::stop_callback on_cancel(cancel, notify);
    const std::stop_callback on_shutdown(shutdown, notify);
    std::unique_lock lock(mutex_);
    launched_.push_back({run.id, project.config.name});
    changed_.notify_all();
    changed_.wait(lock, [&] {
      return all_released_ || released_.contains(run.id) || cancel.stop_requested() ||
             shutdown.stop_requested();
    });
    ended_[run.id] = cancel.stop_requested()     ? "cancelled"
                     : shutdown.stop_requested() ? "shut down"
                                                 : "released";
    changed_.notify_all();
  }

  struct Launch {
    std::int64_t run = 0;
    std::string project;
  };
  std::vector<Launch> launched() const {
    std::lock_guard lock(mutex_);
    return launched_;
  }
  std::vector<std::int64_t> launched_ids() const {
    std::vector<std::int64_t> ids;
    for (const auto& l : launched()) ids.push_back(l.run);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // Until `n` runs were launched in all; false if that did not happen within a minute (a
  // broken test then fails instead of hanging; no assertion depends on the time).
  bool wait_launched(std::size_t n) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::minutes(1), [&] { return launched_.size() >= n; });
  }

  // How each run's execute() ended: "released", "cancelled" or "shut down".
  std::map<std::int64_t, std::string> ended() const {
    std::lock_guard lock(mutex_);
    return ended_;
  }

  // Until `run`'s execute() has returned; false if not within a minute.
  bool wait_ended(std::int64_t run) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::minutes(1), [&] { return ended_.contains(run); });
  }

  // Lets `run`'s execute() return; waits until it has.
  bool release(std::int64_t run) const {
    std::unique_lock lock(mutex_);
    released_.insert(run);
    changed_.notify_all();
    return changed_.wait_for(lock, std::chrono::minutes(1), [&] { return ended_.contains(run); });
  }

  // Every run held now or launched later returns at once (before the Scheduler stops).
  void release_all() const {
    std::lock_guard lock(mutex_);
    all_released_ = true;
    changed_.notify_all();
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  mutable std::vector<Launch> launched_;
  mutable std::set<std::int64_t> released_;
  mutable std::map<std::int64_t, std::string> ended_;
  mutable bool all_released_ = false;
};

}  // namespace juanie::test
