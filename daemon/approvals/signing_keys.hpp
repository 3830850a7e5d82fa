#pragma once

#include <vector>

#include "daemon/approvals/link_token.hpp"
#include "daemon/config/daemon_config.hpp"

namespace juanie::daemon::approvals {

// The keys named by approvals.signing_key, read from secrets_dir; each at least 32 bytes.
Result<std::vector<SigningKey>> load_signing_keys(const config::DaemonConfig& daemon);

}  // namespace juanie::daemon::approvals
