#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_registry.hpp"
#include "daemon/notify/transport.hpp"
#include "daemon/store/outbox.hpp"
#include "daemon/support/clock.hpp"
#include "pipelines/commit_status.hpp"

namespace juanie::daemon::notify {

// The outbox sink type of commit statuses (written by the triggers of schema migration 14).
inline constexpr std::string_view kStatusSink = "commit_status";

struct StatusOutcome {
  pipelines::StatusAnswer answer = pipelines::StatusAnswer::kRetry;
  std::string detail;  // why it was not delivered; never a token
  std::optional<std::chrono::system_clock::time_point> not_before;  // the forge's rate limit
  bool off = false;  // the project reports no statuses (any more): drop it, nothing to tell
};

// Sends one commit status from the outbox to the project's forge, as configured now (a reload
// that changes the token or the API applies to what is still waiting).
class StatusSender {
 public:
  StatusSender(const config::DaemonConfig& daemon, const ProjectRegistry* projects,
               const Transport& transport, const Clock& clock)
      : daemon_(daemon), projects_(projects), transport_(transport), clock_(clock) {}

  StatusOutcome send(const store::OutboxMessage& message) const;

 private:
  const config::DaemonConfig& daemon_;
  const ProjectRegistry* projects_;  // null: statuses are off (commands, component tests)
  const Transport& transport_;
  const Clock& clock_;
};

// Whose status a message is: the project, and the run whose JSON shows how the forge took it
// (0 when the message is unreadable).
struct StatusSubject {
  std::string project;
  std::int64_t run = 0;
};
StatusSubject status_subject(const std::string& payload);

}  // namespace juanie::daemon::notify
