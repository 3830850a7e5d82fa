#include "daemon/runs/sandbox_backend.hpp"

#include <fstream>

#include "runner/program_path.hpp"
#include "runner/sandbox.hpp"
#include "runner/step_process.hpp"
#include "runner/workspace_layers.hpp"

namespace juanie::daemon {

std::optional<std::string> workspace_launcher_problem(const std::filesystem::path& launcher,
                                                      const std::filesystem::path& scratch,
                                                      const std::string& backend) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(launcher, ec)) return launcher.string() + " is missing";
  const fs::path dir = scratch / ".layers-probe";
  runner::remove_workspace_dir(dir);
  fs::create_directories(dir / "lower", ec);
  const auto layers = runner::layers_in(dir / "run", dir / "lower");
  if (ec) return "cannot create " + (dir / "lower").string() + ": " + ec.message();
  if (auto made = runner::make_layer_dirs(layers); !made) return made.error().message;
  std::ofstream(layers.lower / "probe") << "lower\n";
  std::vector<std::vector<std::string>> probes{
      {"/bin/sh", "-c", "echo upper > \"$0/probe\"", layers.merged.string()}};
  if (backend == "bwrap") {
    // A step's own sandbox, as steps get it (without the uid of a run of its own).
    runner::SandboxSpec spec;
    spec.workspace = layers.merged;
    spec.commands = {"test \"$(cat probe)\" = upper"};
    auto argv = runner::bwrap_argv(spec);
    argv[0] = runner::program_path(argv[0]);
    probes.push_back(std::move(argv));
  }
  std::optional<std::string> problem;
  for (const auto& argv : probes) {
    runner::ProcessOptions probe;
    probe.argv = runner::layered_argv(launcher, layers, argv);
    probe.env = {"PATH=/usr/bin:/bin"};
    probe.timeout = std::chrono::seconds(20);
    std::string output;
    auto done = runner::run_process(probe, [&output](std::string_view bytes) {
      if (output.size() < 2048) output.append(bytes);
    });
    if (!done) {
      problem = done.error().message;
    } else if (done->exit_code != 0) {
      while (!output.empty() && output.back() == '\n') output.pop_back();
      problem = output.empty() ? "exit code " + std::to_string(done->exit_code) : output;
    }
    if (problem) break;
  }
  // The write went to the upper layer only; were it to reach the lower one, no view is safe.
  std::string lower;
  std::getline(std::ifstream(layers.lower / "probe"), lower);
  if (!problem && lower != "lower") problem = "a write through the overlay reached its lower layer";
  runner::remove_workspace_dir(dir);
  return problem;
}

runner::SandboxBackend sandbox_backend(const config::DaemonConfig& daemon) {
  const auto& s = daemon.sandbox;
  runner::SandboxBackend b;
  b.kind = s.backend;
  b.engine.binary = s.engine.empty() ? s.backend : s.engine;
  b.engine.podman = s.backend == "podman";
  b.engine.runtime = s.runtime;
  b.engine.owner = runner::container_owner(daemon.data_dir.string());
  b.default_image = s.default_image;
  b.root_filesystems = s.root_filesystems;
  b.container_prefix = "juanie-" + b.engine.owner;
  return b;
}

Result<std::unique_ptr<runner::StepCgroups>> open_step_cgroups(const config::DaemonConfig& daemon,
                                                               std::vector<std::string>& notes) {
  if (daemon.sandbox.backend != "bwrap") return nullptr;
  auto cgroups = runner::StepCgroups::open();
  const std::string fix =
      "give the daemon a cgroup it may write (the systemd unit's Delegate=yes on cgroup v2; "
      "root on cgroup v1), or set sandbox.memory: 0 to run steps without a memory limit";
  if (!cgroups || !(*cgroups)->memory()) {
    const std::string why = cgroups ? (*cgroups)->describe() : cgroups.error().message;
    if (daemon.sandbox.memory > 0) {
      return fail(daemon.source.string() + ": sandbox.memory cannot be enforced: " + why + "; " +
                  fix);
    }
    notes.push_back("memory limits are unenforced (sandbox.memory: 0): " + why);
  }
  if (!cgroups) return nullptr;
  if (!(*cgroups)->processes()) {
    notes.push_back("no pids cgroup: a step's processes are bounded by RLIMIT_NPROC only");
  }
  notes.push_back("steps' cgroups: " + (*cgroups)->describe());
  return std::move(*cgroups);
}

runner::StepLimits step_limits(const config::DaemonConfig& daemon) {
  runner::StepLimits l;
  l.memory = daemon.sandbox.memory;
  l.tmpfs_size = daemon.sandbox.tmpfs_size;
  return l;
}

}  // namespace juanie::daemon
