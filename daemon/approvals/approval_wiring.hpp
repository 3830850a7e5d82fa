#pragma once

#include <functional>
#include <memory>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/notify/notifier.hpp"

namespace juanie::daemon::approvals {

// config → signing keys → notifier → approval flow, built the one way `juanie serve` and the
// CLI commands share: a link a command prints is signed with the first of the keys the daemon
// verifies with, and a message either causes goes to the same configured sinks.
class ApprovalWiring {
 public:
  // Reads approvals.signing_key's files from secrets_dir (an error names the file and the
  // field) and touches nothing else, so `serve` can call it before it prepares data_dir.
  // `daemon` must outlive the result.
  static Result<std::unique_ptr<ApprovalWiring>> load(const config::DaemonConfig& daemon);

  ApprovalWiring(const ApprovalWiring&) = delete;
  ApprovalWiring& operator=(const ApprovalWiring&) = delete;

  // What wakes the daemon's dispatcher after a message was enqueued; set once it exists,
  // before any thread uses the notifier. Commands set none: the running daemon polls its
  // outbox.
  void wake_with(std::function<void()> wake) { wake_ = std::move(wake); }

  notify::Notifier& notifier() { return notifier_; }
  ApprovalFlow& flow() { return flow_; }

 private:
  ApprovalWiring(const config::DaemonConfig& daemon, std::vector<SigningKey> keys);

  std::function<void()> wake_;
  notify::Notifier notifier_;
  ApprovalFlow flow_;
};

}  // namespace juanie::daemon::approvals
