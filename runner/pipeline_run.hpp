#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/plan.hpp"
#include "runner/sandbox.hpp"

namespace juanie::runner {

struct StepReport {
  int index = 0;  // 1-based position in the plan
  std::string name;
  std::string state;  // running | succeeded | failed | skipped | cancelled
  int exit_code = -1;
  std::chrono::milliseconds duration{0};
  std::string reason;  // why it failed or was skipped
  std::filesystem::path log;
};

struct PipelineRunOptions {
  std::filesystem::path workspace;
  std::filesystem::path logs_dir;  // one <n>-<step>.log per step
  std::uint64_t log_max = 10ULL << 20;
  std::chrono::milliseconds default_timeout{30 * 60 * 1000};
  std::vector<std::filesystem::path> hidden;  // see SandboxSpec::hidden
  StepLimits limits;
  // See SandboxSpec::run_as; the workspace is handed to this user before the first step, and
  // the directories above it must let that user pass (mode 0711).
  std::optional<std::pair<unsigned, unsigned>> sandbox_user;
  // The project's secrets a step may name (name → value). Only given when the run comes from
  // a branch the project trusts; otherwise a step asking for one fails with the reason.
  std::map<std::string, std::string> secrets;
  bool secrets_allowed = false;
  const std::atomic<bool>* cancel = nullptr;
  // A retry from a failed step: steps before this index (1-based) are not run again; they are
  // reported skipped with `reused_reason` and the workspace they left is used as it is.
  int resume_from = 0;
  std::string reused_reason;
  // Progress: called when a step starts (state "running") and when it ends.
  std::function<void(const StepReport&)> on_step;
  // Live output of the running step, already masked.
  std::function<void(std::string_view step, std::string_view bytes)> on_output;
};

struct PipelineResult {
  bool succeeded = false;
  bool cancelled = false;
  std::vector<StepReport> steps;
};

// The uid/gid sandboxes run as when this process is root (65534, "nobody", by default), or
// nullopt when it is not root and steps run under its own uid.
std::optional<std::pair<unsigned, unsigned>> default_sandbox_user();

// Runs the planned steps one after another in the bubblewrap sandbox. After a failure the
// remaining steps are skipped. Pure orchestration over SandboxSpec, run_process and StepLog.
PipelineResult run_pipeline(const std::vector<pipelines::PlannedStep>& plan,
                            const PipelineRunOptions& options);

}  // namespace juanie::runner
