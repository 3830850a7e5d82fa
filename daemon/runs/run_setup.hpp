#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/config/daemon_config.hpp"
#include "pipelines/plan.hpp"
#include "runner/pipeline_run.hpp"

namespace juanie::daemon {

// What the daemon hands a run's steps, in one place: the RunExecutor and `juanie exec` both
// build their run from these, so a pipeline tried locally sees what it will see in CI.

// The variables and `when:` input of a run of `full_ref` (refs/heads/… or refs/tags/…) at
// `sha`: its event is "manual" for a run started by hand, "tag" for a tag, else "push".
pipelines::RunContext run_context(const std::string& project, const std::string& full_ref,
                                  const std::string& ref_kind, const std::string& branch,
                                  const std::string& sha,
                                  const std::optional<std::string>& environment,
                                  const std::string& trigger, std::int64_t run_id);

// The daemon's limits on every step: the log cap, the default timeout and the sandbox's
// process, memory and file limits. Secrets go only to a run a rule maps to an environment
// (`deploys`): a push to any other branch must not be able to read them.
void apply_daemon_limits(const config::DaemonConfig& daemon, bool deploys,
                         runner::PipelineRunOptions& options);

}  // namespace juanie::daemon
