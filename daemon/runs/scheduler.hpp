#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/config/project_registry.hpp"
#include "daemon/runs/run_launcher.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "daemon/store/reader.hpp"

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
  // Why no new run may start now (too little free disk); nullopt: they may.
  std::function<std::optional<std::string>()> hold;
};

// The driver around pipelines::schedule: reads the queue, cancels superseded runs, marks the
// chosen ones running and gives each a worker thread. Woken when intake queues a run, and
// every second regardless.
class Scheduler {
 public:
  explicit Scheduler(SchedulerDeps deps) : deps_(deps) {}
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();
  void wake();
  // Stops the running steps; their runs go back to the queue for the next start.
  void stop();
  // true when `run` is running here and is now being cancelled.
  bool cancel(std::int64_t run);
  // One pass, what the thread does when woken: reaps the workers whose run ended, then starts
  // what pipelines::schedule allows. Public for component tests, which call it instead of
  // start(); never call it while the thread runs.
  void pass();

 private:
  struct Worker {
    std::atomic<bool> cancel{false};
    std::atomic<bool> done{false};
    std::thread thread;
  };

  void loop();
  void tick();
  void reap();
  void launch(std::int64_t run);
  void sweep();  // with mutex_ held
  std::string holding_;  // why runs wait, as last logged

  SchedulerDeps deps_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::atomic<bool> shutdown_{false};
  std::map<std::int64_t, std::unique_ptr<Worker>> workers_;
  std::thread thread_;
};

}  // namespace juanie::daemon
