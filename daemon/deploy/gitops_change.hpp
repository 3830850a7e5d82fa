#pragma once

#include "daemon/config/project_config.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/runs.hpp"
#include "pipelines/error.hpp"
#include "runner/gitops_writer.hpp"

namespace juanie::daemon {

// The change a deployment makes to its project's GitOps repository — file, image field and
// value, commit message and author — as the writer makes it and the approval page shows it.
// An error when a template cannot be filled or the digest it needs was not recorded.
Result<runner::GitOpsChange> gitops_change_for(const config::ProjectConfig& project,
                                               const store::DeploymentRecord& deployment,
                                               const store::RunRecord& run);

}  // namespace juanie::daemon
