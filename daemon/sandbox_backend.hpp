#pragma once

#include "daemon/config/daemon_config.hpp"
#include "runner/pipeline_run.hpp"

namespace juanie::daemon {

// The runner's backend as the daemon's `sandbox:` section describes it; containers are
// labelled as this daemon's (by its data_dir) so that its next start can remove leftovers.
runner::SandboxBackend sandbox_backend(const config::DaemonConfig& daemon);

}  // namespace juanie::daemon
