#include "runner/pipeline_run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "runner/held_step.hpp"
#include "runner/program_path.hpp"
#include "runner/step_log.hpp"
#include "runner/step_process.hpp"
#include "runner/user_network.hpp"

namespace juanie::runner {
namespace {

StepReport skipped(int index, const pipelines::PlannedStep& planned, std::string reason) {
  StepReport r;
  r.index = index;
  r.name = planned.step.name;
  r.state = pipelines::StepState::kSkipped;
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

// The secrets a step gets, as a file only the sandbox user can read, removed with this object.
class SecretsFile {
 public:
  SecretsFile(std::filesystem::path path,
              const std::vector<std::pair<std::string, std::string>>& vars,
              std::optional<std::pair<unsigned, unsigned>> owner)
      : path_(std::move(path)) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    std::string text;
    for (const auto& [name, value] : vars)
      text += "export " + name + "=" + shell_quote(value) + "\n";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
    if (fd < 0) return;
    ok_ = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
          (!owner || ::fchown(fd, owner->first, owner->second) == 0);
    ::close(fd);
  }
  ~SecretsFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  SecretsFile(const SecretsFile&) = delete;
  SecretsFile& operator=(const SecretsFile&) = delete;
  bool ok() const { return ok_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool ok_ = false;
};

struct StepCommand {
  ProcessOptions process;
  std::optional<std::vector<std::string>> cleanup;  // run after a stopped step
  std::string note;                                 // said in the log before the step
  std::string error;                                // the step cannot run
};

// bwrap: the step's cgroup, for the memory and process limits the kernel enforces. nullopt
// with an empty `problem` where there is no cgroup to make but none is required.
// `held`, when given, receives a step process made ahead of time in a cgroup of its own, if one
// is ready; then no cgroup is made here.
std::optional<StepCgroup> step_cgroup(const SandboxBackend& backend, const StepLimits& limits,
                                      std::string& problem, std::string& note,
                                      std::optional<HeldStep>* held) {
  if (backend.kind != "bwrap") return std::nullopt;
  if (limits.memory > 0 && (!backend.cgroups || !backend.cgroups->memory())) {
    const std::string why =
        "the memory limit (sandbox.memory) cannot be enforced: no writable "
        "memory cgroup (see the daemon's start-up log)";
    if (backend.require_memory_cgroup) {
      problem = why;
      return std::nullopt;
    }
    note += "juanie: warning: " + why + "\n";
  }
  if (!backend.cgroups) return std::nullopt;
  if (held) {
    if (auto ready = backend.cgroups->held_steps().take({limits.memory, limits.processes})) {
      held->emplace(std::move(*ready));
      return std::nullopt;
    }
  }
  auto made = backend.cgroups->create({limits.memory, limits.processes});
  if (!made) {
    problem = "cannot make the step's cgroup: " + made.error().message;
    return std::nullopt;
  }
  return std::move(*made);
}

// Moves a held step into its cgroup and to the front of the OOM killer's queue, before it
// runs anything: whatever it starts inherits both.
Result<void> place_step(int pid, const StepCgroup* cgroup) {
  const std::string adj = "/proc/" + std::to_string(pid) + "/oom_score_adj";
  const int fd = ::open(adj.c_str(), O_WRONLY | O_CLOEXEC);
  const bool adjusted = fd >= 0 && ::write(fd, "1000", 4) == 4;
  if (fd >= 0) ::close(fd);
  if (!adjusted) return fail("cannot write " + adj);
  return cgroup ? cgroup->attach(pid) : Result<void>{};
}

std::string mebibytes(std::uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

StepCommand step_command(const SandboxSpec& spec, const pipelines::PlannedStep& planned, int index,
                         const SandboxBackend& backend) {
  StepCommand c;
  const std::string& image = planned.step.image;
  if (backend.kind == "bwrap") {
    SandboxSpec s = spec;
    if (!image.empty()) {
      if (auto it = backend.root_filesystems.find(image); it != backend.root_filesystems.end()) {
        s.root_filesystem = it->second;
      } else {
        c.note = "juanie: no root filesystem is configured for image " + image +
                 " (sandbox.root_filesystems); the step runs on the host's /usr\n";
      }
    }
    c.process.argv = bwrap_argv(s);
    if (s.layers) {
      c.process.argv[0] = program_path(c.process.argv[0]);  // the launcher execs it by path
      c.process.argv = layered_argv(backend.workspace_launcher, *s.layers, c.process.argv);
    }
    c.process.env = {"PATH=/usr/bin:/bin"};
    return c;
  }
  const std::string chosen = image.empty() ? backend.default_image : image;
  if (chosen.empty()) {
    c.error = "step " + planned.step.name + " names no image and sandbox.default_image is not set";
    return c;
  }
  const std::string name = backend.container_prefix + "-" + std::to_string(index);
  c.process.argv = container_run_argv(spec, backend.engine, chosen, name);
  c.process.env = engine_environment();
  c.cleanup = container_remove_argv(backend.engine, name);
  return c;
}

constexpr std::chrono::seconds kNetworkSetup{20};

// The network of a step that asks for one: its own namespace behind user-mode NAT
// (user_network.hpp), set up before the step's first instruction runs.
struct StepNetwork {
  std::unique_ptr<SandboxNetwork> sandbox;  // bwrap makes the namespace; the NAT joins it
  std::unique_ptr<NamedNetwork> named;      // podman joins a namespace made beforehand
};

Result<StepNetwork> step_network(SandboxSpec& spec, const SandboxBackend& backend, int index) {
  StepNetwork n;
  if (!spec.network) return n;
  if (backend.kind == "bwrap") {
    auto prepared = SandboxNetwork::prepare();
    if (!prepared) return std::unexpected(prepared.error());
    n.sandbox = std::move(*prepared);
  } else if (backend.kind == "podman" && ::geteuid() == 0) {
    auto named =
        NamedNetwork::create(backend.container_prefix + "-" + std::to_string(index), kNetworkSetup);
    if (!named) return std::unexpected(named.error());
    n.named = std::move(*named);
    spec.network_namespace = n.named->path();
  }
  return n;
}

}  // namespace

std::filesystem::path secrets_file_for(const std::filesystem::path& workspace) {
  return workspace.string() + ".secrets.env";
}

int remove_leftover_secrets_files(const std::filesystem::path& workspaces) {
  namespace fs = std::filesystem;
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(workspaces, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.filename().string().ends_with(".secrets.env") && fs::remove(p, ec)) ++removed;
  }
  return removed;
}

std::optional<std::pair<unsigned, unsigned>> sandbox_user_for(std::uint64_t key) {
  if (::geteuid() != 0) return std::nullopt;
  const unsigned id = kSandboxUidBase + static_cast<unsigned>(key % kSandboxUidSlots);
  return std::pair<unsigned, unsigned>{id, id};
}

std::optional<std::pair<unsigned, unsigned>> default_sandbox_user() {
  return sandbox_user_for(static_cast<std::uint64_t>(::getpid()));
}

PipelineResult run_pipeline(const std::vector<pipelines::PlannedStep>& plan,
                            const PipelineRunOptions& options) {
  const SupervisedProcesses supervisor;
  const ProcessRunner& processes = options.processes ? *options.processes : supervisor;
  PipelineResult result;
  result.succeeded = true;
  std::error_code ec;
  std::filesystem::create_directories(options.logs_dir, ec);
  if (options.sandbox_user) {
    hand_over(options.workspace, *options.sandbox_user);
    // The lower layer too: the overlay shows a file of the commit with its owner and mode, and
    // the step's uid must be able to write it (a write copies it up; the lower stays as it
    // is). The pristine tree is leased to this run alone, under a directory only root enters.
    if (options.layers) hand_over(options.layers->lower, *options.sandbox_user);
  }
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
    report.state = pipelines::StepState::kRunning;
    report.log = options.logs_dir / (std::to_string(index) + "-" + planned.step.name + ".log");
    if (options.on_step) options.on_step(report);

    SandboxSpec spec;
    spec.workspace = options.layers ? options.layers->merged : options.workspace;
    spec.layers = options.layers;
    spec.env = planned.env;
    spec.env.emplace_back("PATH", "/usr/local/bin:/usr/bin:/bin");
    spec.env.emplace_back("HOME", "/tmp");
    spec.commands = planned.step.commands;
    spec.network = planned.step.network;
    spec.hidden = options.hidden;
    spec.limits = options.limits;
    spec.run_as = options.sandbox_user;
    std::vector<std::string> secret_values;
    std::vector<std::pair<std::string, std::string>> secret_vars;
    std::string missing;
    for (const auto& name : planned.step.secrets) {
      auto it = options.secrets.find(name);
      if (auto w = options.withheld_secrets.find(name); w != options.withheld_secrets.end()) {
        missing = "secret " + name + " " + w->second;
      } else if (!options.secrets_allowed) {
        missing = "secret " + name + " is withheld from runs of untrusted branches";
      } else if (it == options.secrets.end()) {
        missing = "secret " + name + " is not one of the project's secrets";
      } else {
        secret_vars.emplace_back(name, it->second);
        secret_values.push_back(it->second);
      }
    }
    StepLog log(report.log, options.log_max, secret_values, [&](std::string_view bytes) {
      if (options.on_output) options.on_output(planned.step.name, bytes);
    });
    std::optional<SecretsFile> secrets_file;
    if (missing.empty() && !secret_vars.empty()) {
      secrets_file.emplace(secrets_file_for(options.workspace), secret_vars, options.sandbox_user);
      if (!secrets_file->ok()) missing = "cannot write the step's secrets file";
      spec.secrets_file = secrets_file->path();
    }
    const auto* cgroups = options.backend.cgroups;
    // A uid shared with the daemon and other runs: the step's pids cgroup bounds it instead.
    if (!spec.run_as && cgroups && cgroups->processes()) spec.limits.nproc_rlimit = false;
    if (missing.empty() && spec.network && !options.network_withheld.empty()) {
      missing = options.network_withheld;
    }
    StepNetwork network;
    if (missing.empty()) {
      if (auto n = step_network(spec, options.backend, index); n) {
        network = std::move(*n);
      } else {
        missing = "cannot give the step a network: " + n.error().message;
      }
    }
    auto command = step_command(spec, planned, index, options.backend);
    if (missing.empty()) missing = command.error;
    if (network.sandbox) {
      command.process.inherit = network.sandbox->sandbox_ends();
      command.process.after_start = [&network] { return network.sandbox->attach(kNetworkSetup); };
    }
    std::string cgroup_problem;
    // A step that is given descriptors (its network) cannot use a process made before it.
    std::optional<HeldStep> held;
    std::optional<StepCgroup> own_cgroup =
        missing.empty() ? step_cgroup(options.backend, spec.limits, cgroup_problem, command.note,
                                      command.process.inherit.empty() ? &held : nullptr)
                        : std::nullopt;
    const StepCgroup* cgroup = held ? &held->cgroup : own_cgroup ? &*own_cgroup : nullptr;
    if (missing.empty()) missing = cgroup_problem;
    if (!missing.empty()) {
      log.write("juanie: " + missing + "\n");
      log.close();
      report.state = pipelines::StepState::kFailed;
      report.reason = missing;
    } else {
      if (!command.note.empty()) log.write(command.note);
      ProcessOptions& process = command.process;
      process.timeout = planned.step.timeout.value_or(options.default_timeout);
      process.cancel = options.cancel;
      if (held) {
        process.held = &*held;
      } else if (options.backend.kind == "bwrap") {
        process.before_start = [cgroup](int pid) { return place_step(pid, cgroup); };
      }
      if (cgroup) process.kill_fd = cgroup->oom_event();
      auto outcome = processes.run(process, [&](std::string_view bytes) { log.write(bytes); });
      if (command.cleanup && (!outcome || outcome->cancelled || outcome->timed_out)) {
        // A killed engine client leaves its container running: remove it by name.
        ProcessOptions remove;
        remove.argv = *command.cleanup;
        remove.env = process.env;
        remove.timeout = std::chrono::seconds(60);
        (void)processes.run(remove, [](std::string_view) {});
      }
      if (!outcome) {
        log.write("juanie: " + outcome.error().message + "\n");
        report.state = pipelines::StepState::kFailed;
        report.reason = outcome.error().message;
      } else {
        report.exit_code = outcome->exit_code;
        report.duration = outcome->duration;
        if (outcome->cancelled) {
          report.state = pipelines::StepState::kCancelled;
          report.reason = "cancelled";
          result.cancelled = true;
        } else if (outcome->timed_out) {
          report.state = pipelines::StepState::kFailed;
          report.reason = "timed out after " + std::to_string(process.timeout.count() / 1000) + "s";
          log.write("\njuanie: " + report.reason + "\n");
        } else if (cgroup && cgroup->oom_killed()) {
          report.state = pipelines::StepState::kFailed;
          report.reason = "memory limit: the step used more than " + mebibytes(spec.limits.memory) +
                          " (sandbox.memory) and was killed";
          log.write("\njuanie: " + report.reason + "\n");
        } else if (outcome->exit_code == 0) {
          report.state = pipelines::StepState::kSucceeded;
        } else {
          report.state = pipelines::StepState::kFailed;
          report.reason = "exit code " + std::to_string(outcome->exit_code);
          if (command.cleanup && outcome->exit_code == 125) {
            report.reason += ": the container engine could not start the step (see the log)";
          }
          if (cgroup && cgroup->hit_process_limit()) {
            report.reason += " (it reached its limit of " + std::to_string(spec.limits.processes) +
                             " processes)";
          }
        }
      }
      if (log.truncated() && report.reason.empty()) report.reason = "log cut at limits.log_max";
      log.close();
    }
    // What is left of the step dies with its cgroup.
    held.reset();
    own_cgroup.reset();
    if (report.state != pipelines::StepState::kSucceeded) result.succeeded = false;
    if (options.on_step) options.on_step(report);
    result.steps.push_back(std::move(report));
  }
  return result;
}

}  // namespace juanie::runner
