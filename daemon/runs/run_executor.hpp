#pragma once

#include <atomic>
#include <filesystem>

#include "daemon/config/loader.hpp"
#include "daemon/deploy/deployer.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/runs/run_launcher.hpp"
#include "daemon/runs/run_observer.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "runner/git_mirror.hpp"
#include "runner/image_build.hpp"
#include "runner/image_engine.hpp"
#include "runner/pipeline_run.hpp"
#include "runner/pristine_trees.hpp"
#include "runner/process_runner.hpp"

namespace juanie::daemon {

class LogShipper;

struct ExecutorDeps {
  const config::DaemonConfig& daemon;
  store::Writer& writer;
  const Clock& clock;
  Log& log;
  const runner::GitMirrors& mirrors;
  const runner::SandboxBackend& sandbox;
  const Deployer& deployer;
  const notify::Notifier& notifier;
  const runner::ProcessRunner& processes;  // each step's process
  const runner::ImageEngine& engine;       // the run's image, built and pushed
  RunObserver observer = {};               // told each step's and the run's end
  // The commits' pristine trees, the lower layers of copy-on-write workspaces; null (or no
  // sandbox.workspace_launcher): each run checks its whole commit out into its workspace.
  runner::PristineTrees* trees = nullptr;
  // Sharing a store: copies each step's log into it as the step writes (null alone: a single
  // node serves its logs from its files).
  LogShipper* shipper = nullptr;
};

// Carries one run, already marked running, to its end: fetch the repository's mirror, give
// the run the exact commit in data_dir/workspaces/<run> (a copy-on-write view over the
// commit's pristine tree, or a whole checkout), read and plan the pipeline file, run
// the steps in the sandbox while recording each step, then record the run's final state.
// A stop on `cancel` ends it as cancelled; on `shutdown`, stops it and queues it again.
class RunExecutor final : public RunLauncher {
 public:
  explicit RunExecutor(ExecutorDeps deps) : deps_(deps) {}

  void execute(const store::RunRecord& run, const config::LoadedProject& project,
               std::stop_token cancel, std::stop_token shutdown) const override;

  std::filesystem::path workspace(std::int64_t run) const;
  std::filesystem::path logs(std::int64_t run) const;
  // Whether runs get copy-on-write workspaces: bwrap, or podman as root (a rootless engine's
  // overlay volumes are not relied on), with the launcher and the pristine trees at hand.
  bool layered() const;

 private:
  // After the steps passed: the image built and pushed as the run's last step ("image").
  // nullopt when the run has nothing to deploy; an error fails the run.
  // The image step of a pull request run, recorded as skipped with why.
  void skip_image(const store::RunRecord& run, int index) const;
  Result<std::optional<runner::PushedImage>> push_image(const store::RunRecord& run,
                                                        const config::ProjectConfig& project,
                                                        const pipelines::Pipeline& pipeline,
                                                        const runner::WorkspaceLayers* layers,
                                                        int index,
                                                        const std::atomic<bool>& stop) const;
  // The image's build context when the workspace is layers: the merged view copied out
  // (podman builds from a directory), into <run>/context.
  Result<std::filesystem::path> build_context(const store::RunRecord& run,
                                              const runner::WorkspaceLayers& layers,
                                              const std::atomic<bool>& stop) const;
  // Whether the run stays on this node: its pipeline's runs_on labels (labels_needed) are all
  // this node's. Otherwise, sharing a store, it goes back to the queue asking for them (not
  // counted as an attempt) for a node that has them — or fails when no node has them; alone,
  // it fails: a single node has no labels.
  bool for_this_node(const store::RunRecord& run, const config::ProjectConfig& project,
                     const pipelines::Pipeline& pipeline) const;
  // Records a step's start or end; a log that began is shipped to a shared store, all of it
  // before the step's end is recorded.
  void record_step(std::int64_t run, const store::StepRecord& step) const;
  // Records the run's end; a failure is told to the notification sinks in the same write.
  void finish(const store::RunRecord& run, const config::ProjectConfig& project,
              pipelines::RunState to, const std::string& reason) const;
  ExecutorDeps deps_;
};

}  // namespace juanie::daemon
