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
#include "pipelines/state_machines.hpp"
#include "runner/container_sandbox.hpp"
#include "runner/process_runner.hpp"
#include "runner/sandbox.hpp"
#include "runner/step_cgroup.hpp"

namespace juanie::runner {

struct StepReport {
  int index = 0;  // 1-based position in the plan
  std::string name;
  pipelines::StepState state = pipelines::StepState::kRunning;
  int exit_code = -1;
  std::chrono::milliseconds duration{0};
  std::string reason;  // why it failed or was skipped
  std::filesystem::path log;
};

// Where steps run: bubblewrap on the host (or on a root filesystem per image name), or
// containers of a podman or docker engine.
struct SandboxBackend {
  std::string kind = "bwrap";  // bwrap | podman | docker
  ContainerEngine engine;      // podman | docker
  std::string default_image;   // podman | docker: for steps that name no image
  std::map<std::string, std::filesystem::path> root_filesystems;  // bwrap: image → root
  std::string container_prefix = "juanie";  // a step's container is <prefix>-<index>
  // bwrap: where each step gets a cgroup of its own for its memory and process limits; null:
  // none could be made. Not owned.
  StepCgroups* cgroups = nullptr;
  // bwrap: a memory limit no cgroup can enforce fails the step; off, the log warns instead.
  bool require_memory_cgroup = true;
  // bwrap: juanie-workspace, which mounts a run's copy-on-write workspace for each step.
  std::filesystem::path workspace_launcher;
};

struct PipelineRunOptions {
  SandboxBackend backend;
  // The run's directory: its workspace, or with `layers` where its layers live.
  std::filesystem::path workspace;
  // A copy-on-write workspace over the commit's pristine tree (workspace_layers.hpp); bwrap
  // steps run under backend.workspace_launcher, which mounts it.
  std::optional<WorkspaceLayers> layers;
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
  // Secrets this run may not have even so (name → why, "is withheld from ..."): a step naming
  // one fails with "secret NAME <why>". Their values are never put in `secrets`.
  std::map<std::string, std::string> withheld_secrets;
  // Not empty: no step gets a network, and one asking for it fails with this reason.
  std::string network_withheld;
  const std::atomic<bool>* cancel = nullptr;
  // A retry from a failed step: steps before this index (1-based) are not run again; they are
  // reported skipped with `reused_reason` and the workspace they left is used as it is.
  int resume_from = 0;
  std::string reused_reason;
  // Runs each step's process (not owned); null: the supervisor, run_process.
  const ProcessRunner* processes = nullptr;
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

// Where a step's secrets file lives while the step runs: beside the workspace, never in it.
std::filesystem::path secrets_file_for(const std::filesystem::path& workspace);
// Removes every step secrets file under `workspaces` (what a crash or kill -9 mid-step left,
// whatever becomes of its run); how many there were. Called at start, before any run.
int remove_leftover_secrets_files(const std::filesystem::path& workspaces);

// When this process is root, sandboxes run under uids of their own, kSandboxUidBase plus a
// slot (systemd leaves 0x70000000-0x7fffffff unused): RLIMIT_NPROC counts every process of a
// uid, so steps sharing one (say "nobody") would let one run's fork bomb keep every other
// run's steps from starting. Nullopt when not root: steps run under the daemon's own uid.
inline constexpr unsigned kSandboxUidBase = 0x70000000;
inline constexpr unsigned kSandboxUidSlots = 65536;

// The sandbox uid/gid of the run (or other unit of work) numbered `key`.
std::optional<std::pair<unsigned, unsigned>> sandbox_user_for(std::uint64_t key);

// The sandbox uid/gid of this process's own work (juanie exec, tests, benchmarks).
std::optional<std::pair<unsigned, unsigned>> default_sandbox_user();

// Runs the planned steps one after another in the bubblewrap sandbox. After a failure the
// remaining steps are skipped. Pure orchestration over SandboxSpec, run_process and StepLog.
PipelineResult run_pipeline(const std::vector<pipelines::PlannedStep>& plan,
                            const PipelineRunOptions& options);

}  // namespace juanie::runner
