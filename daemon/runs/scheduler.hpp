#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config/project_registry.hpp"
#include "daemon/runs/cluster_claims.hpp"
#include "daemon/runs/run_launcher.hpp"
#include "daemon/runs/run_observer.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "daemon/support/periodic_worker.hpp"
#include "pipelines/scheduling.hpp"
#include "runner/pristine_trees.hpp"

namespace juanie::daemon {

struct SchedulerDeps {
  store::Writer& writer;
  store::Reader& reader;
  ProjectRegistry& projects;
  const RunLauncher& launcher;
  const Clock& clock;
  Log& log;
  int concurrent_runs = 2;
  int runs_per_project = 2;
  // data_dir/workspaces, swept at start and whenever a run ends: a workspace not in use and
  // untouched for workspace_ttl goes (a failed run's is kept that long for a retry).
  std::filesystem::path workspaces;
  std::chrono::milliseconds workspace_ttl = std::chrono::hours(24);
  // The pristine trees of the branches (null: none): swept with the workspaces (a tree unused
  // for workspace_ttl goes), and every one not leased goes when `hold` says the disk is low.
  runner::PristineTrees* trees = nullptr;
  // Why no new run may start now (too little free disk); nullopt: they may.
  std::function<std::optional<std::string>()> hold;
  // The pass that comes without a wake: for what cannot wake it (a run `juanie trigger`
  // queued from another process, free disk coming back).
  std::chrono::milliseconds poll = std::chrono::seconds(1);
  // Told how long each run it starts waited in the queue.
  RunObserver observer = {};
  // Several nodes sharing a PostgreSQL store: runs are claimed from the shared queue as leases
  // and kept by a heartbeat (null: this node alone chooses from its own queue).
  ClusterClaims* cluster = nullptr;
};

// The driver around pipelines::schedule: reads the queue, cancels superseded runs, marks the
// chosen ones running and gives each a worker thread. A pass runs at start, at once when intake
// queues a run or a run ends (wake), and every `poll` regardless.
class Scheduler {
 public:
  explicit Scheduler(SchedulerDeps deps)
      : deps_(deps), worker_(deps.poll, [this](bool) { pass(); }) {}
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();
  void wake() { worker_.wake(); }
  // Stops the running steps; their runs go back to the queue for the next start.
  void stop();
  // true when `run` is running here and is now being cancelled.
  bool cancel(std::int64_t run);
  // One pass, what the worker does each time: reaps the workers whose run ended, then starts
  // what pipelines::schedule allows. Public for component tests, which call it instead of
  // start(); never call it while the worker runs.
  void pass();

 private:
  struct Worker {
    std::atomic<bool> done{false};
    std::jthread thread;  // its stop source is the run's cancel
  };

  struct Queue {
    std::vector<pipelines::QueuedRun> queued;
    std::map<std::string, pipelines::RunningRuns> running;
  };
  // The queued runs, oldest first, and the running ones per project; nullopt (logged) when the
  // store cannot be read.
  std::optional<Queue> read_queue();
  void tick();
  // The cluster's pass: heartbeat, expired leases, superseded runs, then claims.
  void tick_cluster();
  // false when runs must wait (low disk, shutting down); logs a change of why.
  bool may_start();
  void cancel_superseded(const std::map<std::int64_t, std::int64_t>& superseded);
  void reap();
  void sweep();  // with mutex_ held
  void launch(std::int64_t run);
  std::string holding_;  // why runs wait, as last logged

  SchedulerDeps deps_;
  std::mutex mutex_;
  bool stopping_ = false;
  std::stop_source shutdown_;
  std::map<std::int64_t, std::unique_ptr<Worker>> workers_;
  PeriodicWorker worker_;  // last: its thread stops before the members it uses go
};

}  // namespace juanie::daemon
