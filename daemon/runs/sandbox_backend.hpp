#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/daemon_config.hpp"
#include "runner/pipeline_run.hpp"

namespace juanie::daemon {

// The runner's backend as the daemon's `sandbox:` section describes it; containers are
// labelled as this daemon's (by its data_dir) so that its next start can remove leftovers.
runner::SandboxBackend sandbox_backend(const config::DaemonConfig& daemon);

// bwrap: the cgroups the steps get (their memory and process limits). An error when
// sandbox.memory is set and no memory cgroup can enforce it; null when the backend needs none
// or none is writable and none is required. `notes` gets what the log should say.
Result<std::unique_ptr<runner::StepCgroups>> open_step_cgroups(const config::DaemonConfig& daemon,
                                                               std::vector<std::string>& notes);

// Whether `launcher` (juanie-workspace) can give steps copy-on-write workspaces here: it mounts
// an overlay in a scratch directory under `scratch` and runs /bin/true in it (and, for the
// bwrap backend, bwrap in it: an unprivileged daemon's sandbox then nests a user namespace).
// Nullopt when it can; else why not, for the log (runs then check out whole commits).
std::optional<std::string> workspace_launcher_problem(const std::filesystem::path& launcher,
                                                      const std::filesystem::path& scratch,
                                                      const std::string& backend);

// The limits of every step, from `sandbox:` (memory, tmpfs_size).
runner::StepLimits step_limits(const config::DaemonConfig& daemon);

}  // namespace juanie::daemon
