#include "daemon/cmd/serve.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>

#include "daemon/api/log_tail.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/approvals/approval_desk.hpp"
#include "daemon/approvals/approval_flow.hpp"
#include "daemon/approvals/approval_wiring.hpp"
#include "daemon/cmd/service_watchdog.hpp"
#include "daemon/config/loader.hpp"
#include "daemon/config/project_registry.hpp"
#include "daemon/deploy/deployment_loop.hpp"
#include "daemon/deploy/rollout_watch.hpp"
#include "daemon/deploy/shared_branch_lock.hpp"
#include "daemon/http/server.hpp"
#include "daemon/notify/dispatcher.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/runs/log_shipper.hpp"
#include "daemon/runs/retention_sweep.hpp"
#include "daemon/runs/run_executor.hpp"
#include "daemon/runs/sandbox_backend.hpp"
#include "daemon/runs/scheduler.hpp"
#include "daemon/store/commit_statuses.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/pg_claims.hpp"
#include "daemon/store/pg_duty.hpp"
#include "daemon/store/pg_log_listener.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/crypto.hpp"
#include "daemon/support/data_dir_lock.hpp"
#include "daemon/support/disk_space.hpp"
#include "daemon/support/log.hpp"
#include "daemon/support/metrics.hpp"
#include "daemon/support/periodic_worker.hpp"
#include "pipelines/node_label.hpp"
#include "runner/git_checkout.hpp"
#include "runner/git_mirror.hpp"
#include "runner/gitops_writer.hpp"
#include "runner/pipeline_run.hpp"

namespace juanie::daemon {
namespace {

constexpr std::size_t kMaxPendingWrites = 20000;
// A status page session lasts a working day; then its person signs in again.
constexpr std::chrono::hours kSessionTtl{12};

// data_dir holds the database and logs (private) and the workspaces, which the sandbox user
// must reach: the directories on the way are 0711 (pass, not list).
Result<void> prepare_data_dir(const std::filesystem::path& data_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto traverse = fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec;
  for (const auto& dir :
       {data_dir, data_dir / "workspaces", data_dir / "logs", data_dir / "mirrors"}) {
    fs::create_directories(dir, ec);
    if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  }
  for (const auto& dir : {data_dir, data_dir / "workspaces"}) {
    fs::permissions(dir, traverse, ec);
    if (ec) return fail("cannot set the mode of " + dir.string() + ": " + ec.message());
  }
  fs::permissions(data_dir / "logs", fs::perms::owner_all, ec);
  fs::permissions(data_dir / "mirrors", fs::perms::owner_all, ec);
  fs::create_directories(data_dir / "gitops", ec);
  fs::permissions(data_dir / "gitops", fs::perms::owner_all, ec);
  if (::geteuid() == 0) {
    // Steps run as an unprivileged user that must reach its workspace: say so now, not as a
    // bubblewrap error in the first run.
    for (auto dir = fs::absolute(data_dir).parent_path();; dir = dir.parent_path()) {
      const auto perms = fs::status(dir, ec).permissions();
      if (!ec && (perms & fs::perms::others_exec) == fs::perms::none) {
        return fail(dir.string() +
                    " does not let other users pass (o+x); the sandbox user must "
                    "reach " +
                    (data_dir / "workspaces").string() + ": chmod o+x it or move data_dir");
      }
      if (dir == dir.root_path()) break;
    }
  }
  return {};
}

std::vector<std::string> environments_of(const config::ProjectMap& projects) {
  std::set<std::string> names;
  for (const auto& [name, project] : projects) {
    for (const auto& env : project->config.environments) names.insert(env.name);
  }
  return {names.begin(), names.end()};
}

// The projects whose state changes enqueue commit statuses (the triggers of schema 14 read it).
void report_statuses_of(const config::ProjectMap& projects, store::Writer& writer, Log& log) {
  std::vector<std::string> names;
  for (const auto& [name, project] : projects) {
    if (project->config.status_token) names.push_back(name);
  }
  auto ok = store::write_and_wait(
      writer, [&](store::Database& db) { return store::set_status_projects(db, names); });
  if (!ok) log.error("cannot record which projects report commit statuses: " + ok.error().message);
}

void reload(const config::DaemonConfig& daemon, ProjectRegistry& projects, Metrics& metrics,
            store::Writer& writer, Log& log) {
  sd_notify(0, "RELOADING=1");
  auto loaded = config::load_projects(daemon);
  if (!loaded) {
    log.error("reload refused, the previous projects stay in force: " + loaded.error().message);
  } else {
    const std::size_t count = loaded->size();
    metrics.declare_environments(environments_of(*loaded));
    report_statuses_of(*loaded, writer, log);
    projects.replace(std::move(*loaded));
    // Said once the new projects are in force: whoever waits for this line acts on them.
    log.info("reloaded " + std::to_string(count) + " project(s)");
  }
  sd_notify(0, "READY=1");
}

}  // namespace

int serve(const std::filesystem::path& config_file) {
  Log log(std::cerr);
  // Signals are taken by sigwait on this thread only: block them before any thread starts so
  // every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto configuration = config::load_configuration(config_file, config::credentials_directory());
  if (!configuration) {
    log.error(configuration.error().message);
    return 1;
  }
  const config::DaemonConfig& daemon = configuration->daemon;
  // The keys first: a missing or short one stops the daemon before data_dir is touched.
  auto wiring = approvals::ApprovalWiring::load(daemon);
  if (!wiring) {
    log.error(wiring.error().message);
    return 1;
  }

  if (auto ok = prepare_data_dir(daemon.data_dir); !ok) {
    log.error(daemon.source.string() + ": data_dir: " + ok.error().message);
    return 1;
  }
  // One daemon per data_dir: a second one (an operator trying the config beside the unit)
  // would recover — requeue — the first one's running runs and sweep its files.
  const DataDirLock lock(daemon.data_dir / "juanie.lock");
  if (!lock.held()) {
    log.error(daemon.source.string() + ": data_dir " + daemon.data_dir.string() +
              " is in use by another juanie serve" + lock.holder());
    return 1;
  }
  // Secrets files a crash left beside workspaces go now, whether or not their run is queued
  // again (recovery: fail never runs it, and nothing else would remove them).
  if (const int n = runner::remove_leftover_secrets_files(daemon.data_dir / "workspaces"); n > 0) {
    log.warn("removed " + std::to_string(n) + " step secrets file(s) left by an interrupted run");
  }

  // One node: a SQLite file of its own. Several: one PostgreSQL database they share, the
  // connection URI in a secrets file (it may carry a password).
  const bool shared = daemon.store.backend == config::Store::Backend::kPostgresql;
  const auto db_file = daemon.data_dir / "juanie.db";
  const auto url_file = daemon.secrets_dir.file(daemon.store.url_file);
  auto writer = shared
                    ? store::Writer::open_postgresql(url_file, kMaxPendingWrites, daemon.node.name)
                    : store::Writer::open(db_file, kMaxPendingWrites);
  if (!writer) {
    log.error(shared ? "store (postgresql, store.url_file " + daemon.store.url_file +
                           "): " + writer.error().message
                     : writer.error().message);
    return 1;
  }
  auto reader = shared ? store::Reader::open_postgresql(url_file) : store::Reader::open(db_file);
  if (!reader) {
    log.error(reader.error().message);
    return 1;
  }
  std::unique_ptr<ClusterClaims> cluster;
  std::unique_ptr<store::pg::Duty> duty;
  if (shared) {
    auto claims = ClusterClaims::open(
        url_file,
        ClusterSeat{
            daemon.node.name, daemon.node.labels,
            std::chrono::duration_cast<std::chrono::seconds>(daemon.cluster.lease_ttl),
            daemon.limits.concurrent_runs,
            daemon.limits.runs_per_project > 0 ? daemon.limits.runs_per_project
                                               : daemon.limits.concurrent_runs,
            daemon.limits.run_attempts,
            std::chrono::duration_cast<std::chrono::seconds>(daemon.cluster.node_retention)},
        rfc3339(SystemClock().now()));
    if (!claims) {
      log.error(claims.error().message);
      return 1;
    }
    cluster = std::move(*claims);
    auto on_duty = store::pg::Duty::open(url_file);
    if (!on_duty) {
      log.error(on_duty.error().message);
      return 1;
    }
    duty = std::move(*on_duty);
    // Before the loops' first passes, which resume what a crash left: whoever is on duty does.
    if (auto first = duty->check(); first && *first)
      log.info("node " + daemon.node.name + " is on duty");
    const std::string labels = pipelines::join_labels(daemon.node.labels);
    log.info("store: postgresql, shared as node " + daemon.node.name +
             (labels.empty() ? std::string() : " (labels " + labels + ")"));
  }

  // Before recovery: the runs it ends or queues again report on their commits too.
  report_statuses_of(configuration->projects, **writer, log);
  SystemClock clock;
  const std::string started_at = rfc3339(clock.now());
  {
    auto recovered = store::write_and_wait(**writer, [&](store::Database& db) -> Result<void> {
      // Sharing a store, only this node's own runs: the others' are theirs.
      auto n = store::recover_interrupted_runs(
          db, daemon.requeue_interrupted, daemon.limits.run_attempts, rfc3339(clock.now()),
          shared ? std::optional<std::string>(daemon.node.name) : std::nullopt);
      if (!n) return std::unexpected(n.error());
      if (n->requeued > 0) {
        log.warn(std::to_string(n->requeued) +
                 " run(s) were interrupted by a restart; queued again");
      }
      if (n->cancelled > 0) {
        log.info(std::to_string(n->cancelled) +
                 " run(s) cancelled while running were interrupted by a restart; left cancelled");
      }
      if (n->failed > 0) {
        log.warn(std::to_string(n->failed) +
                 " run(s) were interrupted by a restart; marked failed (recovery: fail, or "
                 "interrupted limits.run_attempts times)");
      }
      return {};
    });
    if (!recovered) {
      log.error("cannot recover interrupted runs: " + recovered.error().message);
      return 1;
    }
  }
  std::vector<std::string> cgroup_notes;
  auto cgroups = open_step_cgroups(daemon, cgroup_notes);
  for (const auto& note : cgroup_notes) log.info(note);
  if (!cgroups) {
    log.error(cgroups.error().message);
    return 1;
  }
  const runner::SandboxBackend sandbox = [&] {
    auto b = sandbox_backend(daemon);
    b.cgroups = cgroups->get();
    // Copy-on-write workspaces when this machine can mount them; else whole checkouts.
    std::error_code ec;
    const auto launcher =
        std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "juanie-workspace";
    if (auto problem = workspace_launcher_problem(launcher, daemon.data_dir, b.kind)) {
      log.warn("copy-on-write workspaces are unavailable (" + *problem +
               "): each run checks its whole commit out");
    } else {
      b.workspace_launcher = launcher;
      log.info("workspaces: copy-on-write over each branch's pristine tree (" + launcher.string() +
               ")");
    }
    return b;
  }();
  if (sandbox.kind != "bwrap") {
    // Containers of steps a killed daemon was running: they die here, before anything runs.
    auto removed = runner::remove_leftover_containers(sandbox.engine);
    if (!removed) {
      log.error(daemon.source.string() + ": sandbox.backend " + sandbox.kind + ": " +
                removed.error().message);
      return 1;
    }
    if (*removed > 0) {
      log.warn("removed " + std::to_string(*removed) + " step container(s) left by a restart");
    }
  }
  Metrics metrics(shared ? daemon.node.name : std::string());
  metrics.declare_environments(environments_of(configuration->projects));
  ProjectRegistry projects(std::move(configuration->projects));
  runner::GitLibrary git;
  runner::GitMirrors mirrors(daemon.data_dir / "mirrors");
  runner::PristineTrees trees(daemon.data_dir / "trees");
  const OpenSslRandom random;
  const runner::SupervisedProcesses processes;
  const runner::PodmanEngine engine;
  // Sharing a store, the nodes' writers of one GitOps branch take turns (an advisory lock):
  // a change waits for another node's for up to two minutes — a push, not a build.
  std::optional<SharedBranchLock> branch_lock;
  if (shared) branch_lock.emplace(url_file, std::chrono::minutes(2));
  runner::GitOpsWriter gitops(
      daemon.data_dir / "gitops", {}, nullptr, &random,
      [&metrics](runner::GitOpsPush push) { metrics.gitops_push(runner::to_string(push)); },
      branch_lock ? &*branch_lock : nullptr);
  // Sharing a store, the work done once for all nodes is done by the node on duty.
  const std::function<bool()> on_duty =
      duty ? std::function<bool()>([&duty] { return duty->held(); }) : std::function<bool()>();
  PeriodicWorker duty_worker(std::chrono::seconds(2), [&](bool) {
    const bool was = duty->held();
    auto now_on = duty->check();
    if (!now_on) {
      log.error("cannot tell whether this node is on duty: " + now_on.error().message);
    } else if (*now_on != was) {
      log.info(*now_on ? "node " + daemon.node.name +
                             " is on duty: approved and resumed deployments, rollouts and "
                             "notifications are carried out here"
                       : "node " + daemon.node.name + " is off duty");
    }
  });
  notify::DispatcherDeps dispatch{daemon, **writer, *reader, clock, log, &metrics};
  dispatch.projects = &projects;
  dispatch.on_duty = on_duty;
  notify::Dispatcher dispatcher(dispatch);
  (*wiring)->wake_with([&dispatcher] { dispatcher.wake(); });
  notify::Notifier& notifier = (*wiring)->notifier();
  approvals::ApprovalFlow& flow = (*wiring)->flow();
  const runner::LibGit2CommitGraph graph;
  Deployer deployer(
      DeployerDeps{daemon, **writer, clock, log, gitops, flow, notifier, mirrors, graph});
  DeploymentLoopDeps deployment_deps{deployer, flow,     notifier, **writer,
                                     *reader,  projects, clock,    log};
  deployment_deps.on_duty = on_duty;
  if (shared) {
    deployment_deps.elsewhere = [&](std::int64_t id) {
      auto there = reader->with([&](store::Database& db) {
        return store::pg::carried_out_elsewhere(*db.postgresql(), id, daemon.node.name);
      });
      // Unknown is "elsewhere": the next pass asks again; a GitOps write is not done twice.
      return !there || *there;
    };
  }
  DeploymentLoop deployments(deployment_deps);

  auto changed = [&deployments, &notifier] {
    deployments.wake();
    notifier.wake();
  };
  RolloutWatch rollouts(RolloutWatchDeps{daemon, flow, notifier, **writer, *reader, projects, clock,
                                         log, gitops, graph, changed, &metrics, on_duty});
  approvals::ApprovalDesk desk(
      approvals::DeskDeps{flow, **writer, *reader, projects, clock, log, changed, &metrics});
  const RunObserver observed{
      [&metrics](double seconds) { metrics.queue_waited(seconds); },
      [&metrics](std::string_view result, double seconds) { metrics.run_ended(result, seconds); },
      [&metrics](std::string_view result, double seconds) { metrics.step_ended(result, seconds); }};
  // Sharing a store, step logs go into it as they are written (any node serves them) and one
  // LISTEN connection per node wakes this node's followers when any node stored some.
  std::unique_ptr<LogShipper> shipper;
  RunLogBell log_bell;
  std::unique_ptr<store::pg::RunLogListener> log_listener;
  if (shared) {
    shipper = std::make_unique<LogShipper>(**writer, log);
    auto listener = store::pg::RunLogListener::open(url_file);
    if (!listener) {
      log.error("store (postgresql): cannot listen for step logs: " + listener.error().message);
      return 1;
    }
    log_listener = std::move(*listener);
  }
  PeriodicWorker ship_worker(std::chrono::seconds(1), [&](bool) { shipper->ship(); });
  bool listening = true;
  PeriodicWorker listen_worker(std::chrono::milliseconds(0), [&](bool) {
    auto ok = log_listener->listen_once(log_bell, std::chrono::seconds(1));
    if (ok.has_value() != listening) {
      if (ok) {
        log.info("listening for step logs again");
      } else {
        log.warn("lost the connection that listens for step logs (followers look every " +
                 std::to_string(api::kUnrungLook.count()) + " s meanwhile): " + ok.error().message);
      }
      listening = ok.has_value();
    }
  });
  RunExecutor executor(ExecutorDeps{daemon, **writer, clock, log, mirrors, sandbox, deployer,
                                    notifier, processes, engine, observed, &trees, shipper.get()});
  SchedulerDeps scheduling{
      **writer,
      *reader,
      projects,
      executor,
      clock,
      log,
      daemon.limits.concurrent_runs,
      daemon.limits.runs_per_project > 0 ? daemon.limits.runs_per_project
                                         : daemon.limits.concurrent_runs,
      daemon.data_dir / "workspaces",
      daemon.limits.workspace_ttl,
      &trees,
      [&daemon] { return low_disk(daemon.data_dir, daemon.limits.min_free_disk); }};
  scheduling.observer = observed;
  scheduling.cluster = cluster.get();
  Scheduler scheduler(scheduling);
  RetentionSweep retention(
      RetentionDeps{**writer, *reader, daemon.data_dir / "logs", daemon.retention, clock, log});
  PeriodicWorker retention_worker(std::chrono::hours(1), [&](bool) {
    auto swept = retention.pass([&retention_worker] { return retention_worker.stopping(); });
    if (!swept) {
      log.error("retention: " + swept.error().message);
    } else if (swept->runs + swept->logs + swept->strays > 0) {
      log.info("retention: deleted " + std::to_string(swept->runs) + " run(s), the logs of " +
               std::to_string(swept->logs) + " more, " + std::to_string(swept->strays) +
               " stray log directorie(s)");
    }
  });
  ManualRuns manual_runs(mirrors, daemon.secrets_dir);
  DiskUsage disk_usage(mirrors, trees, clock);
  disk_usage.start();
  web::Sessions sessions(random, kSessionTtl);
  // People reach the page over https when the daemon serves TLS or sits behind a TLS proxy
  // (public_url is https): the session cookie is Secure then, never sent over plain http.
  const bool secure_cookies = daemon.tls.has_value() || daemon.public_url.starts_with("https://");
  Routes routes(RouteDeps{
      clock,
      log,
      metrics,
      projects,
      **writer,
      *reader,
      daemon.api_tokens,
      [&scheduler] { scheduler.wake(); },
      [&scheduler](std::int64_t run) { return scheduler.cancel(run); },
      flow,
      desk,
      changed,
      [&daemon] { return low_disk(daemon.data_dir, daemon.limits.min_free_disk); },
      &manual_runs,
      [&rollouts] { rollouts.wake(); },
      &sessions,
      secure_cookies,
      &disk_usage,
      [&]() -> Result<std::vector<store::pg::NodeRecord>> {
        const auto lease =
            std::chrono::duration_cast<std::chrono::seconds>(daemon.cluster.lease_ttl);
        if (shared) {
          return reader->with(
              [&](store::Database& db) { return store::pg::list_nodes(*db.postgresql(), lease); });
        }
        // One node: itself, alive as it answers.
        auto running =
            reader->with([](store::Database& db) { return store::count_runs_by_state(db); });
        if (!running) return std::unexpected(running.error());
        const auto it = running->find("running");
        const std::string now = rfc3339(clock.now());
        return std::vector<store::pg::NodeRecord>{
            {daemon.node.name, daemon.node.labels, daemon.limits.concurrent_runs,
             it == running->end() ? 0 : it->second, started_at, now, true}};
      },
      shared ? &log_bell : nullptr});

  http::ServerOptions options;
  options.host = daemon.listen.host;
  options.port = daemon.listen.port;
  options.body_max = daemon.limits.body_max;
  options.max_connections = daemon.limits.max_connections;
  options.connections_per_ip = daemon.limits.connections_per_ip;
  options.header_timeout = daemon.limits.header_timeout;
  options.body_timeout = daemon.limits.body_timeout;
  if (daemon.tls) {
    options.tls_cert = daemon.tls->cert;
    options.tls_key = daemon.tls->key;
  }
  options.on_refused = [&routes](int status, std::string_view target, std::string_view remote) {
    routes.refused(status, target, remote);
  };
  options.screen = [&routes](const http::Request& head) { return routes.screen(head); };
  http::Server server(options, [&routes](http::Request req, http::Reply reply) {
    routes.handle(std::move(req), std::move(reply));
  });
  if (auto ok = server.listen(); !ok) {
    log.error(daemon.source.string() + ": " + ok.error().message);
    return 1;
  }
  flow.bound_to(server.port());
  std::thread serving([&] { server.run(daemon.http_threads); });
  log.info(std::string("listening on ") + (daemon.tls ? "https" : "http") + "://" +
           daemon.listen.host + ":" + std::to_string(server.port()) + " with " +
           std::to_string(projects.get()->size()) + " project(s), data in " +
           daemon.data_dir.string());
  if (duty) duty_worker.start();
  if (shared) {
    ship_worker.start();
    listen_worker.start();
  }
  scheduler.start();
  // Deployments a crash left `running` are carried out again by the loop's first pass (a file
  // that already has the value is not committed twice); expired approvals are cancelled.
  deployments.start();
  // Flux events stored but not acted on (a crash between the 202 and the verdict) are taken
  // by the first pass; so are rollouts whose timeout passed while the daemon was down.
  rollouts.start();
  dispatcher.start();
  retention_worker.start();
  sd_notify(0, "READY=1");
  ServiceWatchdog watchdog(
      {loopback_url(daemon.listen.host, server.port(), daemon.tls.has_value(), "/healthz"),
       [&reader] {
         auto n = reader->with([](store::Database& db) { return store::count_runs_by_state(db); });
         if (!n) return std::string("runs: store unreadable");
         auto count = [&n](const char* state) {
           auto it = n->find(state);
           return std::to_string(it == n->end() ? 0 : it->second);
         };
         return count("running") + " run(s) running, " + count("queued") + " queued";
       }});
  watchdog.start();

  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      reload(daemon, projects, metrics, **writer, log);
      continue;
    }
    log.info("stopping: finishing requests in flight");
    sd_notify(0, "STOPPING=1");
    watchdog.stop();
    server.drain(daemon.limits.shutdown_timeout);
    break;
  }
  serving.join();
  retention_worker.stop();
  manual_runs.stop();
  scheduler.stop();
  ship_worker.stop();  // after the runs: their last chunks went with their steps' ends
  listen_worker.stop();
  if (duty) duty_worker.stop();
  rollouts.stop();
  deployments.stop();
  dispatcher.stop();
  (*writer)->stop();
  log.info("stopped");
  return 0;
}

}  // namespace juanie::daemon
