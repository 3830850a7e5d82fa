#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/database.hpp"

namespace juanie::daemon::store {

// One message to one sink. `sink` and `payload` are JSON: the sink's settings (file names,
// never secrets) and the event, so a message can be sent after a restart or a reload.
struct OutboxMessage {
  std::int64_t id = 0;
  std::string sink;
  std::string event;
  std::string payload;
  int attempts = 0;
  std::string next_attempt_at;
  std::optional<std::string> last_error;
  std::string state;
};

// Written inside the transaction of the state change that causes it.
Result<void> enqueue(Database& db, const std::string& sink, const std::string& event,
                     const std::string& payload, const std::string& now);
// Pending messages due at `now`, oldest first.
Result<std::vector<OutboxMessage>> due_messages(Database& db, const std::string& now, int limit);
Result<void> mark_delivered(Database& db, std::int64_t id, const std::string& now);
// Another attempt at `next_attempt_at`, or — when it is nullopt — given up.
Result<void> mark_failed(Database& db, std::int64_t id, const std::string& error,
                         const std::optional<std::string>& next_attempt_at);
Result<std::vector<OutboxMessage>> list_outbox(Database& db, int limit);
Result<std::int64_t> count_pending_messages(Database& db);
// When the oldest pending message was enqueued (RFC 3339); nullopt when none is pending.
Result<std::optional<std::string>> oldest_pending_message(Database& db);

}  // namespace juanie::daemon::store
