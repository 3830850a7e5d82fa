#pragma once

#include <string>
#include <vector>

namespace juanie::daemon {

// juanie approval-link --config FILE DEPLOYMENT APPROVER
int run_approval_link(const std::vector<std::string>& args);

}  // namespace juanie::daemon
