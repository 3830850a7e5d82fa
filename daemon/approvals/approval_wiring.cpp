#include "daemon/approvals/approval_wiring.hpp"

#include "daemon/approvals/signing_keys.hpp"

namespace juanie::daemon::approvals {

ApprovalWiring::ApprovalWiring(const config::DaemonConfig& daemon, std::vector<SigningKey> keys)
    : notifier_(daemon,
                [this] {
                  if (wake_) wake_();
                }),
      flow_(daemon, std::move(keys), notifier_) {}

Result<std::unique_ptr<ApprovalWiring>> ApprovalWiring::load(const config::DaemonConfig& daemon) {
  auto keys = load_signing_keys(daemon);
  if (!keys) return std::unexpected(keys.error());
  return std::unique_ptr<ApprovalWiring>(new ApprovalWiring(daemon, std::move(*keys)));
}

}  // namespace juanie::daemon::approvals
