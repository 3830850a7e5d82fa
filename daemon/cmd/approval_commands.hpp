#pragma once

#include <string>
#include <vector>

namespace juanie::daemon {

// juanie trigger --config FILE (PROJECT REF | --deployment N) [--as NAME]
// Releases a deployment waiting for its manual trigger: it then waits for approvals (the
// requests go out) or, without a gate, is committed by the running daemon.
int run_trigger(const std::vector<std::string>& args);

// juanie approval-link --config FILE DEPLOYMENT APPROVER
int run_approval_link(const std::vector<std::string>& args);

}  // namespace juanie::daemon
