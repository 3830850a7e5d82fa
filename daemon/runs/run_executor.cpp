#include "daemon/runs/run_executor.hpp"

#include <unistd.h>

#include <fstream>
#include <future>

#include "daemon/runs/git_access.hpp"
#include "daemon/runs/log_shipper.hpp"
#include "daemon/runs/registry_client.hpp"
#include "daemon/runs/run_setup.hpp"
#include "daemon/runs/sandbox_backend.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/log_keys.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "pipelines/image_tag.hpp"
#include "pipelines/node_label.hpp"
#include "pipelines/pipeline_file.hpp"
#include "pipelines/plan.hpp"
#include "runner/git_checkout.hpp"
#include "runner/pipeline_run.hpp"
#include "runner/step_log.hpp"
#include "runner/step_process.hpp"
#include "runner/tree_file.hpp"
#include "runner/workspace_layers.hpp"

namespace juanie::daemon {

namespace fs = std::filesystem;
using pipelines::RunState;

fs::path RunExecutor::workspace(std::int64_t run) const {
  return deps_.daemon.data_dir / "workspaces" / std::to_string(run);
}

fs::path RunExecutor::logs(std::int64_t run) const {
  return deps_.daemon.data_dir / "logs" / std::to_string(run);
}

bool RunExecutor::layered() const {
  const auto& kind = deps_.sandbox.kind;
  return deps_.trees && !deps_.sandbox.workspace_launcher.empty() &&
         (kind == "bwrap" || (kind == "podman" && ::geteuid() == 0));
}

Result<fs::path> RunExecutor::build_context(const store::RunRecord& run,
                                            const runner::WorkspaceLayers& layers,
                                            const std::atomic<bool>& stop) const {
  const fs::path context = workspace(run.id) / "context";
  runner::remove_workspace_dir(context);
  std::error_code ec;
  fs::create_directory(context, ec);
  if (ec) return fail("cannot create " + context.string() + ": " + ec.message());
  // Read through the overlay, as the steps saw it; never the pristine tree itself, which the
  // engine must not be handed (nothing it does may reach what later runs start from).
  runner::ProcessOptions copy;
  copy.argv = runner::layered_argv(
      deps_.sandbox.workspace_launcher, layers,
      {"/bin/cp", "-a", "--reflink=auto", "--", layers.merged.string() + "/.", context.string()});
  copy.env = {"PATH=/usr/bin:/bin"};
  copy.timeout = deps_.daemon.limits.step_timeout;
  copy.cancel = &stop;
  std::string output;
  auto done = runner::run_process(copy, [&output](std::string_view bytes) {
    if (output.size() < 4096) output.append(bytes);
  });
  if (!done) return std::unexpected(done.error());
  if (done->exit_code != 0) {
    return fail("cannot copy the workspace out for the image build: " +
                (output.empty() ? "exit code " + std::to_string(done->exit_code) : output));
  }
  return context;
}

void RunExecutor::finish(const store::RunRecord& run, const config::ProjectConfig& project,
                         pipelines::RunState to, const std::string& reason) const {
  // Disk is bounded too: a workspace outlives its run only to let a failed run be retried
  // from its failed step, and then only until limits.workspace_ttl (the scheduler's sweep).
  std::error_code ec;
  const fs::path ws = workspace(run.id);
  if (to == pipelines::RunState::kFailed) {
    fs::last_write_time(ws, fs::file_time_type::clock::now(), ec);
    fs::last_write_time(runner::layers_mark(ws), fs::file_time_type::clock::now(), ec);
    runner::remove_workspace_dir(ws / "context");  // made again by a retry
  } else {
    runner::remove_workspace_dir(ws);
    fs::remove(runner::layers_mark(ws), ec);
  }
  fs::remove(runner::secrets_file_for(ws), ec);
  const std::string now = rfc3339(deps_.clock.now());
  auto ok = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
    auto set = store::set_run_state(db, run.id, to,
                                    reason.empty() ? std::nullopt : std::optional(reason), now);
    // A fork's pull request is a stranger's: its verdict goes to the forge (its commit
    // status), not into the team's channels, where its text could speak for it.
    if (!set || to != pipelines::RunState::kFailed ||
        (run.pull_request && run.pull_request->fork)) {
      return set;
    }
    return deps_.notifier.enqueue(db, project, "run_failed",
                                  {{"project", run.project},
                                   {"run", std::to_string(run.id)},
                                   {"branch", run.branch},
                                   {"sha", run.sha},
                                   {"reason", reason},
                                   {"pusher", run.pusher.value_or("")}},
                                  now);
  });
  if (!ok) {
    deps_.log.error(store::keys_of(run), "run " + std::to_string(run.id) + ": cannot record " +
                                             std::string(pipelines::to_string(to)) + ": " +
                                             ok.error().message);
  } else if (deps_.observer.run_ended) {
    deps_.observer.run_ended(pipelines::to_string(to),
                             seconds_since(run.started_at, deps_.clock.now()));
  }
  deps_.notifier.wake();
  deps_.log.info(store::keys_of(run), "run " + std::to_string(run.id) + " " +
                                          std::string(pipelines::to_string(to)) +
                                          (reason.empty() ? "" : ": " + reason));
}

bool RunExecutor::for_this_node(const store::RunRecord& run, const config::ProjectConfig& project,
                                const pipelines::Pipeline& pipeline) const {
  const auto needed = pipelines::labels_needed(pipeline);
  const auto missing = pipelines::missing_labels(needed, deps_.daemon.node.labels);
  if (missing.empty()) return true;
  const std::string asked = pipelines::join_labels(needed);
  if (deps_.daemon.store.backend != config::Store::Backend::kPostgresql) {
    finish(run, project, pipelines::RunState::kFailed,
           "the pipeline asks for a build node with labels " + asked +
               " (runs_on); this daemon runs alone, without labels (node.labels come with "
               "store.backend: postgresql)");
    return false;
  }
  const std::string now = rfc3339(deps_.clock.now());
  store::HandBack outcome = store::HandBack::kQueued;
  auto handed = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
    auto h = store::hand_back_run(db, run.id, needed,
                                  "node " + deps_.daemon.node.name + " lacks " +
                                      pipelines::join_labels(missing) + " of the labels " + asked +
                                      " the pipeline asks for (runs_on); queued for a node that "
                                      "has them",
                                  now);
    if (!h) return std::unexpected(h.error());
    outcome = *h;
    return {};
  });
  if (!handed) {
    // Still this node's lease: when it passes, the run goes back to the queue all the same.
    deps_.log.error(store::keys_of(run),
                    "run " + std::to_string(run.id) +
                        ": cannot hand it back to the queue: " + handed.error().message);
  } else if (outcome == store::HandBack::kCancelAsked) {
    finish(run, project, pipelines::RunState::kCancelled, "cancelled");
  } else if (outcome == store::HandBack::kNoNodeHasThem) {
    finish(run, project, pipelines::RunState::kFailed,
           "no build node has all the labels " + asked +
               " the pipeline asks for (runs_on); add them to a node's node.labels");
  } else {
    deps_.log.info(store::keys_of(run), "run " + std::to_string(run.id) + " needs a node with " +
                                            asked + " (runs_on); handed back to the queue");
  }
  return false;
}

void RunExecutor::execute(const store::RunRecord& run, const config::LoadedProject& project,
                          std::stop_token cancel, std::stop_token shutdown) const {
  const auto& cfg = project.config;
  // However the run ends, no log of it stays open for shipping.
  const struct ForgetLogs {
    LogShipper* shipper;
    std::int64_t run;
    ~ForgetLogs() {
      if (shipper) shipper->forget(run);
    }
  } forget_logs{deps_.shipper, run.id};
  const fs::path ws = workspace(run.id);
  std::error_code ec;
  runner::remove_workspace_dir(ws);
  fs::remove(runner::secrets_file_for(ws), ec);  // left by a crash mid-step
  fs::remove(runner::layers_mark(ws), ec);
  // An earlier attempt's logs (a restart or a lost lease queued the run again): its steps were
  // cleared with it, and a step's log is opened to append.
  fs::remove_all(logs(run.id), ec);
  const bool resuming = run.resume_from && run.retry_of;
  const bool layers = layered();
  if (resuming) {
    // Resuming: the workspace the earlier run left, with its build outputs, moves here.
    fs::rename(workspace(*run.retry_of), ws, ec);
    if (ec) {
      return finish(run, cfg, pipelines::RunState::kFailed,
                    "the workspace of run " + std::to_string(*run.retry_of) +
                        " is gone: " + ec.message() + "; retry the whole run");
    }
    // Only a layout the daemon marked is taken for one: a whole checkout could hold anything.
    std::error_code mark_ec;
    fs::rename(runner::layers_mark(workspace(*run.retry_of)), runner::layers_mark(ws), mark_ec);
    if (!mark_ec != layers) {
      return finish(run, cfg, pipelines::RunState::kFailed,
                    "the workspace of run " + std::to_string(*run.retry_of) + " was made " +
                        (layers ? "as a whole checkout" : "as copy-on-write layers") +
                        " and this daemon's workspaces are not; retry the whole run");
    }
  }
  const runner::CheckoutLimits limits{deps_.daemon.limits.checkout_file_max,
                                      deps_.daemon.limits.checkout_max};
  if (!resuming) {
    auto credentials = read_git_credentials(deps_.daemon.secrets_dir, cfg.repo_access);
    if (!credentials)
      return finish(run, cfg, pipelines::RunState::kFailed, credentials.error().message);
    auto mirror = deps_.mirrors.update(cfg.repo_url, *credentials, cfg.repo_fetch);
    if (!mirror) return finish(run, cfg, pipelines::RunState::kFailed, mirror.error().message);
    // A partial mirror (repo.filter) gets the blobs of this commit before libgit2 reads them.
    if (auto ok = deps_.mirrors.materialize(cfg.repo_url, run.sha, *credentials); !ok)
      return finish(run, cfg, pipelines::RunState::kFailed, ok.error().message);
  }
  // From the commit's tree, not the workspace: a pushed symlink must not make the daemon read
  // /dev/zero or a host file. Before the checkout: a run for another node leaves at once.
  auto text =
      runner::read_file_at_commit(deps_.mirrors.path_for(cfg.repo_url), run.sha, cfg.pipeline);
  if (!text) return finish(run, cfg, pipelines::RunState::kFailed, text.error().message);
  auto pipeline = pipelines::parse_pipeline(*text, cfg.pipeline);
  if (!pipeline) return finish(run, cfg, pipelines::RunState::kFailed, pipeline.error().message);
  if (!for_this_node(run, cfg, *pipeline)) return;
  if (!resuming && !layers) {
    if (auto ok =
            runner::checkout_commit(deps_.mirrors.path_for(cfg.repo_url), run.sha, ws, limits);
        !ok) {
      return finish(run, cfg, pipelines::RunState::kFailed, ok.error().message);
    }
  }
  // The commit's files: a pristine tree of the project's branch, moved to this commit by what
  // changed, leased to this run until it ends (nothing moves it under the run's overlay).
  std::optional<runner::PristineTrees::Lease> tree;
  std::optional<runner::WorkspaceLayers> layout;
  if (layers) {
    auto leased = deps_.trees->acquire(deps_.mirrors.path_for(cfg.repo_url), cfg.name, run.branch,
                                       run.sha, limits);
    if (!leased) return finish(run, cfg, pipelines::RunState::kFailed, leased.error().message);
    tree.emplace(std::move(*leased));
    layout = runner::layers_in(ws, tree->path());
    if (auto ok = runner::make_layer_dirs(*layout); !ok)
      return finish(run, cfg, pipelines::RunState::kFailed, ok.error().message);
    // Paths overlayfs (and podman's :O) can take; the launcher checks bwrap's again.
    if (auto ok = runner::overlay_options(*layout, false); !ok)
      return finish(run, cfg, pipelines::RunState::kFailed, ok.error().message);
    if (!resuming) std::ofstream(runner::layers_mark(ws)) << run.sha << '\n';
  }
  const auto context = run_context(run);
  const auto plan = pipelines::plan(*pipeline, context);

  runner::PipelineRunOptions options;
  options.backend = deps_.sandbox;
  options.backend.container_prefix += "-" + std::to_string(run.id);
  options.workspace = ws;
  options.layers = layout;
  options.logs_dir = logs(run.id);
  options.processes = &deps_.processes;
  apply_daemon_limits(deps_.daemon, secrets_reach(cfg, run), options);
  withhold_from_forks(cfg, run, options);
  options.hidden = {deps_.daemon.data_dir, deps_.daemon.projects_dir, deps_.daemon.secrets_dir.dir};
  // The configuration's own directory too, unless it is a whole root such as /etc itself.
  if (const auto dir = deps_.daemon.source.parent_path();
      !dir.empty() && dir != "/" && dir != "/etc") {
    options.hidden.push_back(dir);
  }
  options.sandbox_user = runner::sandbox_user_for(static_cast<std::uint64_t>(run.id));
  for (const auto& [name, ref] : cfg.secrets) {
    if (options.withheld_secrets.contains(name)) continue;
    if (auto value = config::read_secret(deps_.daemon.secrets_dir, ref))
      options.secrets[name] = *value;
  }
  // Cancel and shutdown reach the steps and then the image build through `stop`, the flag the
  // runner checks; set from the thread that asks, the moment it asks.
  std::atomic<bool> stop{false};
  const std::stop_callback on_cancel(cancel, [&stop] { stop = true; });
  const std::stop_callback on_shutdown(shutdown, [&stop] { stop = true; });
  options.cancel = &stop;
  if (run.resume_from && run.retry_of) {
    options.resume_from = static_cast<int>(*run.resume_from);
    options.reused_reason = "passed in run " + std::to_string(*run.retry_of);
  }
  options.on_step = [&](const runner::StepReport& r) {
    store::StepRecord step;
    step.index = r.index;
    step.name = r.name;
    step.state = r.state;
    const std::string now = rfc3339(deps_.clock.now());
    if (r.state == pipelines::StepState::kRunning) {
      step.started_at = now;
    } else {
      step.finished_at = now;
      if (r.exit_code >= 0) step.exit_code = r.exit_code;
      if (r.state != pipelines::StepState::kSkipped && deps_.observer.step_ended) {
        deps_.observer.step_ended(pipelines::to_string(r.state),
                                  std::chrono::duration<double>(r.duration).count());
      }
    }
    if (!r.reason.empty()) step.reason = r.reason;
    if (!r.log.empty()) step.log = r.log.string();
    record_step(run.id, step);
  };
  auto result = runner::run_pipeline(plan, options);
  std::optional<Result<std::optional<runner::PushedImage>>> image;
  if (result.succeeded && run.pull_request) {
    if (pipeline->image) skip_image(run, static_cast<int>(plan.size()) + 1);
    image.emplace(std::optional<runner::PushedImage>{});
  } else if (result.succeeded) {
    image = push_image(run, cfg, *pipeline, layout ? &*layout : nullptr,
                       static_cast<int>(plan.size()) + 1, stop);
  }

  const bool interrupted = result.cancelled || (image && !*image && stop.load());
  if (interrupted && shutdown.stop_requested()) {
    const std::string now = rfc3339(deps_.clock.now());
    auto ok = store::write_and_wait(deps_.writer, [id = run.id, now](store::Database& db) {
      return store::requeue_run(db, id, "the daemon stopped; queued again", now);
    });
    if (!ok)
      deps_.log.error(store::keys_of(run),
                      "run " + std::to_string(run.id) + ": " + ok.error().message);
    return;
  }
  if (interrupted) return finish(run, cfg, pipelines::RunState::kCancelled, "cancelled");
  if (image) {
    if (!*image)
      return finish(run, cfg, pipelines::RunState::kFailed, "image: " + image->error().message);
    finish(run, cfg, pipelines::RunState::kSucceeded, "");
    if (**image && !run.pull_request) {
      deps_.deployer.deliver(run, cfg, cfg.image, pipelines::commit_tag(run.sha),
                             (**image)->digest);
    }
    return;
  }
  for (const auto& step : result.steps) {
    if (step.state == pipelines::StepState::kFailed)
      return finish(run, cfg, pipelines::RunState::kFailed,
                    "step " + step.name + " failed: " + step.reason);
  }
  finish(run, cfg, pipelines::RunState::kFailed, "a step failed");
}

void RunExecutor::skip_image(const store::RunRecord& run, int index) const {
  store::StepRecord step;
  step.index = index;
  step.name = "image";
  step.state = pipelines::StepState::kSkipped;
  step.reason = "a pull request run never builds or pushes a deployable image, nor deploys";
  step.finished_at = rfc3339(deps_.clock.now());
  record_step(run.id, step);
}

void RunExecutor::record_step(std::int64_t run, const store::StepRecord& step) const {
  std::function<Result<void>(store::Database&)> save = [run, step](store::Database& db) {
    return store::save_step(db, run, step);
  };
  if (deps_.shipper && step.log) {
    if (step.state == pipelines::StepState::kRunning) {
      deps_.shipper->open(run, step.index, *step.log);
    } else {
      // The rest of its log and its end in one transaction.
      save = deps_.shipper->close(run, step.index, std::move(save));
    }
  }
  deps_.writer.submit(std::move(save), [this, run](Result<void> ok) {
    if (!ok)
      deps_.log.error({.run = run}, "run " + std::to_string(run) + ": " + ok.error().message);
  });
}

Result<std::optional<runner::PushedImage>> RunExecutor::push_image(
    const store::RunRecord& run, const config::ProjectConfig& project,
    const pipelines::Pipeline& pipeline, const runner::WorkspaceLayers* layers, int index,
    const std::atomic<bool>& stop) const {
  if (!pipeline.image || !run.environment || run.pull_request || project.image.empty()) {
    return std::optional<runner::PushedImage>{};
  }
  const fs::path log_file = logs(run.id) / (std::to_string(index) + "-image.log");
  auto save = [&](const store::StepRecord& step) { record_step(run.id, step); };
  store::StepRecord step;
  step.index = index;
  step.name = "image";
  step.state = pipelines::StepState::kRunning;
  const auto began = deps_.clock.now();
  step.started_at = rfc3339(began);
  step.log = log_file.string();
  save(step);
  auto ended = [&] {
    const auto now = deps_.clock.now();
    step.finished_at = rfc3339(now);
    if (deps_.observer.step_ended) {
      deps_.observer.step_ended(pipelines::to_string(step.state),
                                std::chrono::duration<double>(now - began).count());
    }
  };

  runner::ImageBuildRequest request;
  request.workspace = workspace(run.id);
  request.build = *pipeline.image;
  request.reference = project.image + ":" + pipelines::commit_tag(run.sha);
  if (project.registry_branch_tag && !pipelines::branch_tag(run.branch).empty()) {
    request.extra_references.push_back(project.image + ":" + pipelines::branch_tag(run.branch));
  }
  request.engine.binary = deps_.sandbox.kind == "podman" ? deps_.sandbox.engine.binary : "podman";
  request.engine.runtime = deps_.sandbox.kind == "podman" ? deps_.sandbox.engine.runtime : "";
  request.engine.owner = deps_.sandbox.engine.owner;
  request.limits.memory = deps_.daemon.sandbox.memory;  // sandbox.memory holds for every backend
  request.network = pipeline.image->network;
  request.tls_verify = project.registry_tls_verify;
  if (project.registry_auth)
    request.authfile = deps_.daemon.secrets_dir.file(project.registry_auth->file);
  request.timeout = deps_.daemon.limits.step_timeout;
  request.cancel = &stop;
  request.registry_digest = [&](const std::string& reference) {
    return registry_digest(reference, project.registry_tls_verify, request.authfile);
  };
  request.ours = [&](const std::string& digest) {
    bool recorded = false;
    auto ok = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
      auto r = store::image_recorded(db, project.name, project.image,
                                     pipelines::commit_tag(run.sha), digest);
      if (!r) return std::unexpected(r.error());
      recorded = *r;
      return {};
    });
    return ok && recorded;
  };
  std::error_code ec;
  fs::create_directories(log_file.parent_path(), ec);
  runner::StepLog log(log_file, deps_.daemon.limits.log_max, {});
  if (layers) {
    auto context = build_context(run, *layers, stop);
    if (!context) {
      step.state = stop.load() ? pipelines::StepState::kCancelled : pipelines::StepState::kFailed;
      step.reason = context.error().message;
      log.write("juanie: " + *step.reason + "\n");
      log.close();
      ended();
      save(step);
      return std::unexpected(context.error());
    }
    request.workspace = *context;
  }
  // RUN lines run as root, whom RLIMIT_NPROC does not bound: the pids.max of a cgroup of the
  // build's own, above all its containers, does (a rootless engine cannot be given one).
  std::optional<runner::StepCgroup> build_cgroup;
  if (deps_.sandbox.cgroups && deps_.sandbox.cgroups->processes() && ::geteuid() == 0) {
    auto made = deps_.sandbox.cgroups->create({0, request.limits.processes});
    if (!made) {
      step.state = pipelines::StepState::kFailed;
      step.reason = "cannot make the image build's cgroup: " + made.error().message;
      log.write("juanie: " + *step.reason + "\n");
      log.close();
      ended();
      save(step);
      return fail(*step.reason);
    }
    build_cgroup.emplace(std::move(*made));
    request.cgroup_parent = deps_.sandbox.cgroups->engine_parent(*build_cgroup);
    if (!request.cgroup_parent) {
      log.write(
          "juanie: warning: the image build's cgroup has no path an engine can take; its "
          "RUN lines are bounded only by --ulimit nproc\n");
    }
  }
  auto pushed =
      deps_.engine.build_and_push(request, [&](std::string_view bytes) { log.write(bytes); });
  if (build_cgroup) deps_.sandbox.cgroups->remove_engine_dirs(*build_cgroup);
  build_cgroup.reset();
  if (pushed) {
    // At once: were the daemon to die before the deployment records it, the requeued run must
    // know the tag as its own rather than refuse it as someone else's.
    auto recorded = store::write_and_wait(deps_.writer, [&](store::Database& db) {
      return store::record_pushed_image(db, project.name, project.image,
                                        pipelines::commit_tag(run.sha), pushed->digest,
                                        rfc3339(deps_.clock.now()));
    });
    if (!recorded) pushed = std::unexpected(recorded.error());
  }
  if (!pushed) log.write("juanie: " + pushed.error().message + "\n");
  log.close();
  step.state =
      pushed ? pipelines::StepState::kSucceeded
             : (stop.load() ? pipelines::StepState::kCancelled : pipelines::StepState::kFailed);
  ended();
  if (!pushed) step.reason = pushed.error().message;
  save(step);
  if (!pushed) return std::unexpected(pushed.error());
  return std::optional<runner::PushedImage>(std::move(*pushed));
}

}  // namespace juanie::daemon
