#include "daemon/runs/run_setup.hpp"

#include "daemon/runs/sandbox_backend.hpp"

namespace juanie::daemon {

pipelines::RunContext run_context(const std::string& project, const std::string& full_ref,
                                  const std::string& ref_kind, const std::string& branch,
                                  const std::string& sha,
                                  const std::optional<std::string>& environment,
                                  const std::string& trigger, std::int64_t run_id) {
  pipelines::RunContext context{
      project, full_ref, ref_kind, branch, sha, environment, ref_kind == "tag" ? "tag" : "push",
      run_id};
  if (trigger == "manual") context.event = "manual";
  return context;
}

void apply_daemon_limits(const config::DaemonConfig& daemon, bool deploys,
                         runner::PipelineRunOptions& options) {
  options.log_max = daemon.limits.log_max;
  options.default_timeout = daemon.limits.step_timeout;
  options.limits = step_limits(daemon);
  options.secrets_allowed = deploys;
}

}  // namespace juanie::daemon
