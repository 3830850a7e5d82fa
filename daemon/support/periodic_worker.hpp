#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace juanie::daemon {

// A thread that runs `pass` at start, whenever woken, and at least every `period`, until
// stopped. For work that waits on time or on other processes (which cannot wake it).
class PeriodicWorker {
 public:
  // `pass(first)`: `first` is true for the pass at start.
  PeriodicWorker(std::chrono::milliseconds period, std::function<void(bool first)> pass)
      : period_(period), pass_(std::move(pass)) {}
  ~PeriodicWorker() { stop(); }
  PeriodicWorker(const PeriodicWorker&) = delete;
  PeriodicWorker& operator=(const PeriodicWorker&) = delete;

  void start() {
    thread_ = std::thread([this] {
      for (bool first = true;; first = false) {
        pass_(first);
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, period_, [this] { return stopping_ || woken_; });
        if (stopping_) return;
        woken_ = false;
      }
    });
  }

  // Lets the pass in progress finish; idempotent.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // For a long pass: true once stop() was called, so it can end early.
  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  void wake() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    wake_.notify_all();
  }

 private:
  const std::chrono::milliseconds period_;
  std::function<void(bool)> pass_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace juanie::daemon
