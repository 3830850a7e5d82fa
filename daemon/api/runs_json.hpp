#pragma once

#include <string>
#include <vector>

#include "daemon/store/deployments.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"

namespace juanie::daemon::api {

// The JSON shapes of DESIGN.md's API: field names are a contract.
std::string runs_list_json(const std::vector<store::RunRecord>& runs);
std::string run_json(const store::RunRecord& run, const std::vector<store::StepRecord>& steps,
                     const std::optional<store::DeploymentRecord>& deployment);
std::string deployments_list_json(const std::vector<store::DeploymentRecord>& deployments);

}  // namespace juanie::daemon::api
