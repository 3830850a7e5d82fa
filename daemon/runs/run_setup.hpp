#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_config.hpp"
#include "daemon/store/runs.hpp"
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

// The same for a stored run, with what a pull/merge request run adds.
pipelines::RunContext run_context(const store::RunRecord& run);

// What a pull request from a fork is not given: every secret the project has not opened to
// forks (`forks: true`), and the network unless `pull_requests.fork_network` says so. A step
// asking for either fails with the reason. Nothing changes for any other run.
void withhold_from_forks(const config::ProjectConfig& project, const store::RunRecord& run,
                         runner::PipelineRunOptions& options);

// Whether a run may be given the project's secrets at all: a run a rule maps to an environment;
// a pull request's run from the project's own repository only when a push of its source
// branch would be given them (a pusher must not get by a pull request what a push of the same
// branch would not); a fork's run, only what withhold_from_forks leaves (`forks: true`).
bool secrets_reach(const config::ProjectConfig& project, const store::RunRecord& run);

// The daemon's limits on every step: the log cap, the default timeout and the sandbox's
// process, memory and file limits. Secrets go only to a run a rule maps to an environment
// (`deploys`) or to a pull request's run (whose fork rule is withhold_from_forks): a push to
// any other branch must not be able to read them.
void apply_daemon_limits(const config::DaemonConfig& daemon, bool deploys,
                         runner::PipelineRunOptions& options);

}  // namespace juanie::daemon
