#include "runner/pipeline_run.hpp"

#include <unistd.h>

#include "runner/step_log.hpp"
#include "runner/step_process.hpp"

namespace juanie::runner {
namespace {

StepReport skipped(int index, const pipelines::PlannedStep& planned, std::string reason) {
  StepReport r;
  r.index = index;
  r.name = planned.step.name;
  r.state = "skipped";
  r.reason = std::move(reason);
  return r;
}

void hand_over(const std::filesystem::path& workspace, std::pair<unsigned, unsigned> user) {
  ::lchown(workspace.c_str(), user.first, user.second);
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(workspace, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    ::lchown(it->path().c_str(), user.first, user.second);
  }
}

}  // namespace

std::optional<std::pair<unsigned, unsigned>> default_sandbox_user() {
  if (::geteuid() != 0) return std::nullopt;
  return std::pair<unsigned, unsigned>{65534, 65534};
}

PipelineResult run_pipeline(const std::vector<pipelines::PlannedStep>& plan,
                            const PipelineRunOptions& options) {
  PipelineResult result;
  result.succeeded = true;
  std::error_code ec;
  std::filesystem::create_directories(options.logs_dir, ec);
  if (options.sandbox_user) hand_over(options.workspace, *options.sandbox_user);
  int index = 0;
  for (const auto& planned : plan) {
    ++index;
    if (index < options.resume_from && !planned.skipped) {
      auto report = skipped(index, planned, options.reused_reason);
      if (options.on_step) options.on_step(report);
      result.steps.push_back(std::move(report));
      continue;
    }
    if (planned.skipped || !result.succeeded) {
      auto report = skipped(index, planned,
                            planned.skipped ? planned.skip_reason
                                            : (result.cancelled ? "the run was cancelled"
                                                                : "an earlier step failed"));
      if (options.on_step) options.on_step(report);
      result.steps.push_back(std::move(report));
      continue;
    }
    StepReport report;
    report.index = index;
    report.name = planned.step.name;
    report.state = "running";
    report.log = options.logs_dir / (std::to_string(index) + "-" + planned.step.name + ".log");
    if (options.on_step) options.on_step(report);

    SandboxSpec spec;
    spec.workspace = options.workspace;
    spec.env = planned.env;
    spec.env.emplace_back("PATH", "/usr/local/bin:/usr/bin:/bin");
    spec.env.emplace_back("HOME", "/tmp");
    spec.commands = planned.step.commands;
    spec.network = planned.step.network;
    spec.hidden = options.hidden;
    spec.limits = options.limits;
    spec.run_as = options.sandbox_user;
    std::vector<std::string> secret_values;
    std::string missing;
    for (const auto& name : planned.step.secrets) {
      auto it = options.secrets.find(name);
      if (!options.secrets_allowed) {
        missing = "secret " + name + " is withheld from runs of untrusted branches";
      } else if (it == options.secrets.end()) {
        missing = "secret " + name + " is not one of the project's secrets";
      } else {
        spec.env.emplace_back(name, it->second);
        secret_values.push_back(it->second);
      }
    }
    StepLog log(report.log, options.log_max, secret_values, [&](std::string_view bytes) {
      if (options.on_output) options.on_output(planned.step.name, bytes);
    });
    if (!missing.empty()) {
      log.write("juanie: " + missing + "\n");
      log.close();
      report.state = "failed";
      report.reason = missing;
    } else {
      ProcessOptions process;
      process.argv = bwrap_argv(spec);
      process.env = {"PATH=/usr/bin:/bin"};
      process.timeout = planned.step.timeout.value_or(options.default_timeout);
      process.cancel = options.cancel;
      auto outcome = run_process(process, [&](std::string_view bytes) { log.write(bytes); });
      if (!outcome) {
        log.write("juanie: " + outcome.error().message + "\n");
        report.state = "failed";
        report.reason = outcome.error().message;
      } else {
        report.exit_code = outcome->exit_code;
        report.duration = outcome->duration;
        if (outcome->cancelled) {
          report.state = "cancelled";
          report.reason = "cancelled";
          result.cancelled = true;
        } else if (outcome->timed_out) {
          report.state = "failed";
          report.reason = "timed out after " + std::to_string(process.timeout.count() / 1000) + "s";
          log.write("\njuanie: " + report.reason + "\n");
        } else if (outcome->exit_code == 0) {
          report.state = "succeeded";
        } else {
          report.state = "failed";
          report.reason = "exit code " + std::to_string(outcome->exit_code);
        }
      }
      if (log.truncated() && report.reason.empty()) report.reason = "log cut at limits.log_max";
      log.close();
    }
    if (report.state != "succeeded") result.succeeded = false;
    if (options.on_step) options.on_step(report);
    result.steps.push_back(std::move(report));
  }
  return result;
}

}  // namespace juanie::runner
