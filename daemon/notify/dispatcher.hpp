#pragma once

#include <chrono>
#include <functional>
#include <map>

#include "daemon/config/daemon_config.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/notify/status_sender.hpp"
#include "daemon/notify/transport.hpp"
#include "daemon/store/outbox.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "daemon/support/log_throttle.hpp"
#include "daemon/support/metrics.hpp"
#include "daemon/support/periodic_worker.hpp"

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
  const Transport* transport = nullptr;  // not owned; null: the network
  // The projects in force, for commit statuses; null: statuses are dropped (commands).
  const ProjectRegistry* projects = nullptr;
  // Several nodes sharing a store: whether this node is the one on duty (store/pg_duty.hpp)
  // now; a pass of a node off duty does nothing. Empty: always (one node).
  std::function<bool()> on_duty = {};
};

// Sends the outbox: each due message to its sink, then records delivered, or failed with the
// next attempt (exponential backoff) or given up. A message is marked only after its sink
// answered, so a crash in between sends it again: at-least-once.
class Dispatcher {
 public:
  // Polls every second as well: `juanie trigger` writes to the outbox from another process.
  explicit Dispatcher(DispatcherDeps deps)
      : deps_(deps),
        transport_(deps.transport ? *deps.transport : network_),
        status_(deps.daemon, deps.projects, transport_, deps.clock),
        worker_(std::chrono::seconds(1), [this](bool) { deliver_due(); }) {}
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start() { worker_.start(); }
  void stop() { worker_.stop(); }
  // Something was enqueued: look now rather than at the next poll.
  void wake() { worker_.wake(); }
  // One pass over what is due; how many messages were attempted.
  int deliver_due();

 private:
  Result<void> send(const store::OutboxMessage& message,
                    const config::NotificationSink& sink) const;
  // chat.postMessage with the sink's bot token; Slack's {"ok": false} is a failure.
  Result<void> slack_post(const config::NotificationSink& sink, const std::string& channel,
                          const std::string& body) const;
  // An approval request to its approver's member id.
  Result<void> slack_direct(const config::NotificationSink& sink, const Fields& fields) const;

  // A commit status: delivered, retried (not before the forge's rate limit allows), or —
  // refused by the forge — given up at once, logged at most hourly per project and shown in
  // the run's JSON.
  void deliver_status(const store::OutboxMessage& message);

  Result<void> post_json(const std::string& url, const std::string& file, const std::string& body,
                         std::vector<std::pair<std::string, std::string>> headers) const;

  DispatcherDeps deps_;
  NetworkTransport network_;
  const Transport& transport_;
  StatusSender status_;
  std::map<std::string, LogThrottle> refusals_;  // per project; only the worker's thread
  PeriodicWorker worker_;  // last: its thread stops before the members it uses go
};

}  // namespace juanie::daemon::notify
