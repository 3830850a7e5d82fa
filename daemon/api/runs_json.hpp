#pragma once

#include <map>
#include <string>
#include <vector>

#include "daemon/store/approvals.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"

namespace juanie::daemon::api {

// The JSON shapes of DESIGN.md's API: field names are a contract. A list carries "next": the
// `before` of its next page, null on the last one.
std::string runs_list_json(const std::vector<store::RunRecord>& runs,
                           std::optional<std::int64_t> next);
using ApprovalsById = std::map<std::int64_t, std::vector<store::ApprovalRecord>>;

// "status_report": how the forge took the newest commit status (null: none sent).
std::string run_json(const store::RunRecord& run, const std::vector<store::StepRecord>& steps,
                     const std::optional<store::DeploymentRecord>& deployment,
                     const ApprovalsById& approvals,
                     const std::optional<std::string>& status_report = std::nullopt);
std::string deployment_json(const store::DeploymentRecord& deployment,
                            const ApprovalsById& approvals);
std::string deployments_list_json(const std::vector<store::DeploymentRecord>& deployments,
                                  const ApprovalsById& approvals, std::optional<std::int64_t> next);

// An approval a deployment waits for (no decision yet: "pending"), or one recorded.
struct ApprovalItem {
  store::DeploymentRecord deployment;
  std::string approver;
  std::optional<store::ApprovalRecord> decision;
};
std::string approvals_list_json(const std::vector<ApprovalItem>& items,
                                std::optional<std::int64_t> next);

}  // namespace juanie::daemon::api
