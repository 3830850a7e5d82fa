#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_config.hpp"
#include "daemon/store/database.hpp"

namespace juanie::daemon::notify {

// What a message says: "project", "environment", "deployment", "run", "image", "tag", "sha",
// "branch", "reason"; an approval request to a group also "approvers" (names, ", "-separated),
// "required_approvals", "approvers_slack", "approvers_dingtalk" (member ids and mobiles to
// mention, ","-separated) and "unreached" (approvers no personal channel reaches); one to an
// approver "approver", "approver_email", "approver_slack", "link", "expires_at". With the
// daemon's public_url, "page": the deployment's (else the run's) page on the status page.
using Fields = std::map<std::string, std::string, std::less<>>;

// The value of `name`, or "" when the message does not carry it.
std::string field(const Fields& fields, std::string_view name);

// Puts messages in the outbox, inside the caller's write transaction — the one that makes the
// change the message tells of — so a message exists exactly when its cause does.
class Notifier {
 public:
  Notifier(const config::DaemonConfig& daemon, std::function<void()> on_enqueued)
      : daemon_(daemon), on_enqueued_(std::move(on_enqueued)) {}

  // One outbox row per sink (the daemon's, then the project's) that wants `event` and has an
  // audience for it: group channels, and e-mail's `to` for events not asking for approval.
  // Whatever it is given, a link is never part of such a message.
  Result<void> enqueue(store::Database& db, const config::ProjectConfig& project,
                       const std::string& event, const Fields& fields,
                       const std::string& now) const;

  // A message for one approver, with their own link: only to channels that reach them alone —
  // e-mail to `approver_email`, a Slack direct message to `approver_slack` (a slack sink with
  // a bot token). How many rows were written: 0 when nothing reaches the approver.
  Result<int> enqueue_personal(store::Database& db, const config::ProjectConfig& project,
                               const std::string& event, const Fields& fields,
                               const std::string& now) const;

  // After the transaction committed: the dispatcher looks at once rather than at its next poll.
  void wake() const {
    if (on_enqueued_) on_enqueued_();
  }

 private:
  // `fields` and, with a public_url, "page": the status page's link to what it tells of.
  Fields with_page(Fields fields) const;

  const config::DaemonConfig& daemon_;
  std::function<void()> on_enqueued_;
};

// The sink's settings as stored with each message (file names, never the secrets).
std::string sink_json(const config::NotificationSink& sink);
config::NotificationSink sink_from_json(const std::string& text);

}  // namespace juanie::daemon::notify
