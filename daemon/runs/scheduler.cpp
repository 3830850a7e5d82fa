#include "daemon/runs/scheduler.hpp"

#include "daemon/runs/workspace_sweep.hpp"
#include "daemon/store/log_keys.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "pipelines/scheduling.hpp"

namespace juanie::daemon {

using pipelines::RunState;

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::start() {
  {
    std::lock_guard lock(mutex_);
    sweep();
  }
  worker_.start();
}

bool Scheduler::cancel(std::int64_t run) {
  std::lock_guard lock(mutex_);
  auto it = workers_.find(run);
  if (it == workers_.end() || it->second->done.load()) return false;
  it->second->thread.request_stop();
  return true;
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  shutdown_.request_stop();
  // No pass starts a run after this; the runs started reach their end or the queue again.
  worker_.stop();
  // Held while joining (cancel() may be called meanwhile); no worker thread takes it.
  std::lock_guard lock(mutex_);
  for (auto& [id, worker] : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  workers_.clear();
}

void Scheduler::pass() {
  reap();
  tick();
}

void Scheduler::reap() {
  std::lock_guard lock(mutex_);
  bool ended = false;
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->second->done.load()) {
      it->second->thread.join();
      it = workers_.erase(it);
      ended = true;
    } else {
      ++it;
    }
  }
  if (ended) sweep();
}

void Scheduler::sweep() {
  if (deps_.workspaces.empty()) return;
  const auto cutoff =
      std::filesystem::file_time_type::clock::now() -
      std::chrono::duration_cast<std::filesystem::file_time_type::duration>(deps_.workspace_ttl);
  const int removed = sweep_workspaces(deps_.workspaces, cutoff,
                                       [this](std::int64_t run) { return workers_.contains(run); });
  if (removed > 0) {
    deps_.log.info("removed " + std::to_string(removed) +
                   " workspace(s) older than limits.workspace_ttl");
  }
  if (deps_.trees) {
    if (const int trees = deps_.trees->sweep(cutoff); trees > 0) {
      deps_.log.info("removed " + std::to_string(trees) +
                     " pristine tree(s) unused for limits.workspace_ttl");
    }
  }
}

bool Scheduler::may_start() {
  // Queued runs wait (their deliveries are stored and answered) until there is room again.
  const auto hold = deps_.hold ? deps_.hold() : std::nullopt;
  if (hold.value_or("") != holding_) {
    if (hold) {
      deps_.log.warn(*hold);
      // What can be made again from the mirrors goes first: a branch's next run checks its
      // commit out afresh.
      if (deps_.trees) {
        const int trees = deps_.trees->sweep(std::filesystem::file_time_type::clock::now());
        if (trees > 0) {
          deps_.log.warn("removed " + std::to_string(trees) +
                         " pristine tree(s) not in use to free disk");
        }
      }
    } else {
      deps_.log.info("runs start again: free disk is above limits.min_free_disk");
    }
    holding_ = hold.value_or("");
  }
  return !hold && !shutdown_.stop_requested();
}

void Scheduler::cancel_superseded(const std::map<std::int64_t, std::int64_t>& superseded) {
  const std::string now = rfc3339(deps_.clock.now());
  for (const auto& [run, by] : superseded) {
    auto ok = store::write_and_wait(deps_.writer, [run, by, now](store::Database& db) {
      return store::set_run_state(db, run, RunState::kCancelled,
                                  "superseded by run " + std::to_string(by), now);
    });
    if (ok)
      deps_.log.info({.run = run},
                     "run " + std::to_string(run) + " superseded by run " + std::to_string(by));
  }
}

std::optional<Scheduler::Queue> Scheduler::read_queue() {
  auto queued = deps_.reader.with([](store::Database& db) { return store::queued_runs(db); });
  auto running =
      deps_.reader.with([](store::Database& db) { return store::running_per_project(db); });
  if (!queued || !running) {
    deps_.log.error("scheduler: cannot read the queue: " +
                    (queued ? running.error().message : queued.error().message));
    return std::nullopt;
  }
  return Queue{std::move(*queued), std::move(*running)};
}

void Scheduler::tick() {
  if (deps_.cluster) return tick_cluster();
  auto queue = read_queue();
  if (!queue || queue->queued.empty()) return;
  const auto& [queued, running] = *queue;
  if (!may_start()) return;
  pipelines::ScheduleLimits limits{deps_.concurrent_runs, deps_.runs_per_project, {}};
  // Read each pass: a reload changes the caps of the next.
  for (const auto& [name, project] : *deps_.projects.get()) {
    limits.forks_per_project[name] = project->config.max_concurrent_forks;
  }
  const auto decision = pipelines::schedule(queued, running, limits);
  cancel_superseded(decision.superseded);
  const std::string now = rfc3339(deps_.clock.now());
  for (auto run : decision.start) {
    auto ok = store::write_and_wait(deps_.writer, [run, now](store::Database& db) {
      return store::set_run_state(db, run, RunState::kRunning, std::nullopt, now);
    });
    if (!ok) {
      deps_.log.error({.run = run}, "scheduler: cannot start run " + std::to_string(run) + ": " +
                                        ok.error().message);
      continue;
    }
    launch(run);
  }
}

void Scheduler::tick_cluster() {
  ClusterClaims& cluster = *deps_.cluster;
  std::vector<std::int64_t> held;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [run, worker] : workers_) {
      if (!worker->done.load()) held.push_back(run);
    }
  }
  // The heartbeat first: a run whose lease another node took back stops here at once.
  if (auto stops = cluster.renew(held, std::chrono::steady_clock::now()); !stops) {
    deps_.log.error("scheduler: cannot renew this node's leases: " + stops.error().message);
  } else {
    for (const auto run : stops->lost) {
      deps_.log.warn({.run = run}, "run " + std::to_string(run) +
                                       " is no longer this node's (its lease passed or it ended "
                                       "elsewhere); stopping it here, its outcome not recorded");
      cancel(run);
    }
    // Asked on another node (whose log says by whom), or a pull request closed there.
    for (const auto run : stops->cancelled) cancel(run);
  }
  const std::string now = rfc3339(deps_.clock.now());
  if (auto expired = cluster.requeue_expired(now); !expired) {
    deps_.log.error("scheduler: cannot requeue the runs of lost leases: " +
                    expired.error().message);
  } else {
    for (const auto run : expired->requeued) {
      deps_.log.warn({.run = run},
                     "run " + std::to_string(run) + ": its node's lease passed; queued again");
    }
    for (const auto run : expired->failed) {
      deps_.log.warn({.run = run}, "run " + std::to_string(run) +
                                       ": its node's lease passed too many times; failed");
    }
  }
  if (auto retired = cluster.retire_nodes(now); !retired) {
    deps_.log.error("scheduler: cannot retire silent nodes: " + retired.error().message);
  } else {
    for (const auto& node : *retired) {
      deps_.log.info("node " + node +
                     " retired: not heard from for cluster.node_retention; its labels no "
                     "longer count (queued runs only it could take failed)");
    }
  }
  auto queue = read_queue();
  if (!queue) return;
  if (queue->queued.empty()) {
    // Idle and able: asking for runs, so that a busier node leaves the next ones here.
    if (static_cast<int>(held.size()) < deps_.concurrent_runs && !(deps_.hold && deps_.hold())) {
      cluster.mark_ready();
    }
    return;
  }
  const auto& [queued, running] = *queue;
  // Superseded pull request runs, as one node would see them; any node may cancel them (a
  // second cancel of the same run is refused by its state and changes nothing).
  pipelines::ScheduleLimits limits{deps_.concurrent_runs, deps_.runs_per_project, {}};
  cancel_superseded(pipelines::schedule(queued, running, limits).superseded);
  if (!may_start()) return;
  for (auto free = deps_.concurrent_runs - static_cast<int>(held.size()); free > 0; --free) {
    auto claim = cluster.claim(now);
    if (!claim) {
      deps_.log.error("scheduler: cannot claim a run: " + claim.error().message);
      return;
    }
    if (!*claim) return;
    launch((*claim)->run);
  }
}

void Scheduler::launch(std::int64_t run_id) {
  auto record = deps_.reader.with([&](store::Database& db) { return store::find_run(db, run_id); });
  // The thread is made under the lock: cancel() may reach for it at once.
  std::lock_guard lock(mutex_);
  Worker* w = workers_.emplace(run_id, std::make_unique<Worker>()).first->second.get();
  w->thread = std::jthread([this, w, run_id, record = record ? *record : std::nullopt,
                            shutdown = shutdown_.get_token()](std::stop_token cancel) {
    if (!record) {
      deps_.log.error({.run = run_id}, "scheduler: run " + std::to_string(run_id) + " vanished");
    } else {
      if (deps_.observer.queue_waited) {
        deps_.observer.queue_waited(seconds_since(
            record->created_at,
            parse_rfc3339(record->started_at.value_or("")).value_or(deps_.clock.now())));
      }
      const auto projects = deps_.projects.get();
      auto it = projects->find(record->project);
      if (it == projects->end()) {
        const auto now = deps_.clock.now();
        auto failed = store::write_and_wait(
            deps_.writer, [run_id, at = rfc3339(now), name = record->project](store::Database& db) {
              return store::set_run_state(db, run_id, RunState::kFailed,
                                          "project " + name + " is no longer configured", at);
            });
        if (failed && deps_.observer.run_ended) {
          deps_.observer.run_ended("failed", seconds_since(record->started_at, now));
        }
      } else {
        deps_.log.info(store::keys_of(*record), "run " + std::to_string(run_id) +
                                                    " started: " + record->project + " " +
                                                    record->ref + " " + record->sha.substr(0, 12));
        deps_.launcher.execute(*record, *it->second, cancel, shutdown);
      }
    }
    w->done = true;
    wake();
  });
}

}  // namespace juanie::daemon
