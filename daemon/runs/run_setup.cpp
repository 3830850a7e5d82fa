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

pipelines::RunContext run_context(const store::RunRecord& run) {
  auto context = run_context(run.project, run.ref, run.ref_kind, run.branch, run.sha,
                             run.environment, run.trigger, run.id);
  if (const auto& pr = run.pull_request) {
    context.event = "pull_request";
    context.pr_number = pr->number;
    context.pr_title = pr->title;
    context.source_branch = pr->source_branch;
    context.target_branch = pr->target_branch;
  }
  return context;
}

void withhold_from_forks(const config::ProjectConfig& project, const store::RunRecord& run,
                         runner::PipelineRunOptions& options) {
  if (!run.pull_request || !run.pull_request->fork) return;
  for (const auto& [name, ref] : project.secrets) {
    if (!project.fork_secrets.contains(name)) {
      options.withheld_secrets[name] = "is withheld from pull requests from forks";
    }
  }
  if (!project.fork_network) {
    options.network_withheld =
        "the network is withheld from pull requests from forks (pull_requests.fork_network)";
  }
}

bool secrets_reach(const config::ProjectConfig& project, const store::RunRecord& run) {
  if (run.environment) return true;
  const auto& pr = run.pull_request;
  if (!pr) return false;
  if (pr->fork) return true;  // withhold_from_forks keeps all but what is opened to forks
  return pipelines::match_rule(project.rules, {pipelines::RefKind::kBranch, pr->source_branch}) !=
         nullptr;
}

void apply_daemon_limits(const config::DaemonConfig& daemon, bool deploys,
                         runner::PipelineRunOptions& options) {
  options.log_max = daemon.limits.log_max;
  options.default_timeout = daemon.limits.step_timeout;
  options.limits = step_limits(daemon);
  options.secrets_allowed = deploys;
}

}  // namespace juanie::daemon
