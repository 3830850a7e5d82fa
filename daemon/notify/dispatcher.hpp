#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "daemon/clock.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/log.hpp"
#include "daemon/metrics.hpp"
#include "daemon/store/outbox.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"

namespace juanie::daemon::notify {

struct DispatcherDeps {
  const config::DaemonConfig& daemon;
  store::Writer& writer;
  store::Reader& reader;
  const Clock& clock;
  Log& log;
  Metrics* metrics = nullptr;
  std::chrono::milliseconds first_retry{5000};  // doubled per failure, at most an hour
  int max_attempts = 10;
};

// Sends the outbox: each due message to its sink, then records delivered, or failed with the
// next attempt (exponential backoff) or given up. A message is marked only after its sink
// answered, so a crash in between sends it again: at-least-once.
class Dispatcher {
 public:
  explicit Dispatcher(DispatcherDeps deps) : deps_(deps) {}
  ~Dispatcher() { stop(); }
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  void stop();
  // Something was enqueued: look now rather than at the next poll.
  void wake();
  // One pass over what is due; how many messages were attempted.
  int deliver_due();

 private:
  Result<void> send(const store::OutboxMessage& message) const;
  void loop();

  DispatcherDeps deps_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace juanie::daemon::notify
