#include "daemon/runs/sandbox_backend.hpp"

namespace juanie::daemon {

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
