#include "runner/container_sandbox.hpp"

namespace juanie::runner {
namespace {

std::string ulimit(const char* name, std::uint64_t value) {
  const auto v = std::to_string(value);
  return std::string(name) + "=" + v + ":" + v;
}

// The workspace as the engine mounts it: the run's directory, or over the commit's pristine
// tree an overlay the engine makes (":O" with the run's own upper and work directories).
std::string workspace_volume(const SandboxSpec& spec) {
  if (!spec.layers) return spec.workspace.string() + ":/workspace:rw";
  return spec.layers->lower.string() + ":/workspace:O,upperdir=" + spec.layers->upper.string() +
         ",workdir=" + spec.layers->work.string();
}

}  // namespace

std::vector<std::string> engine_command(const ContainerEngine& engine) {
  std::vector<std::string> a{engine.binary};
  if (engine.podman && !engine.runtime.empty()) a.insert(a.end(), {"--runtime", engine.runtime});
  return a;
}

std::vector<std::string> container_run_argv(const SandboxSpec& spec, const ContainerEngine& engine,
                                            const std::string& image, const std::string& name) {
  auto a = engine_command(engine);
  a.reserve(80);
  a.insert(a.end(), {"run", "--rm", "--name", name, "--label", "io.juanie.owner=" + engine.owner,
                     "--init", "--pull", "never", "--read-only", "--cap-drop", "all",
                     "--security-opt", "no-new-privileges", "--hostname", "juanie-step"});
  if (!spec.network) {
    a.insert(a.end(), {"--network", "none"});
  } else if (!spec.network_namespace.empty()) {
    // Juanie's own namespace, NAT attached and link-local blocked (user_network.hpp).
    a.insert(a.end(), {"--network", "ns:" + spec.network_namespace});
  } else if (engine.podman) {
    // A rootless daemon cannot make one: podman's own NAT, never the host's loopback.
    a.insert(a.end(), {"--network", "slirp4netns:allow_host_loopback=false"});
  }
  if (!engine.podman && !engine.runtime.empty()) a.insert(a.end(), {"--runtime", engine.runtime});
  const auto& l = spec.limits;
  a.insert(a.end(), {"--pids-limit", std::to_string(l.processes), "--ulimit",
                     ulimit("nproc", static_cast<std::uint64_t>(l.processes)), "--ulimit",
                     ulimit("nofile", static_cast<std::uint64_t>(l.open_files)), "--ulimit",
                     ulimit("fsize", l.file_size), "--ulimit",
                     ulimit("cpu", static_cast<std::uint64_t>(l.cpu_seconds))});
  if (l.memory > 0) {
    a.insert(a.end(),
             {"--memory", std::to_string(l.memory), "--memory-swap", std::to_string(l.memory)});
  }
  // The kernel's OOM killer picks a step before the daemon.
  a.insert(a.end(), {"--oom-score-adj", "1000"});
  if (spec.run_as) {
    a.insert(a.end(), {"--user", std::to_string(spec.run_as->first) + ":" +
                                     std::to_string(spec.run_as->second)});
  } else if (engine.podman) {
    // Rootless podman: the step runs as the daemon's own uid, which owns the workspace.
    a.insert(a.end(), {"--userns", "keep-id"});
  }
  a.insert(a.end(),
           {"--tmpfs", "/tmp:rw,nosuid,nodev,mode=1777,size=" + std::to_string(l.tmpfs_size),
            "--volume", workspace_volume(spec), "--workdir", "/workspace"});
  if (spec.secrets_file) {
    a.insert(a.end(), {"--volume", spec.secrets_file->string() + ":" + kSecretsPath + ":ro"});
  }
  for (const auto& [var, value] : spec.env) a.insert(a.end(), {"--env", var + "=" + value});
  // After "--" the image is a positional whatever it looks like (checked by the parser too).
  a.insert(a.end(), {"--", image, "/bin/sh", "-c",
                     step_script(spec.commands, spec.secrets_file.has_value())});
  return a;
}

std::vector<std::string> container_remove_argv(const ContainerEngine& engine,
                                               const std::string& name) {
  auto a = engine_command(engine);
  a.insert(a.end(), {"rm", "--force"});
  if (engine.podman) a.insert(a.end(), {"--time", "0"});
  a.insert(a.end(), {"--", name});
  return a;
}

std::vector<std::string> container_list_argv(const ContainerEngine& engine) {
  auto a = engine_command(engine);
  a.insert(a.end(),
           {"ps", "--all", "--quiet", "--filter", "label=io.juanie.owner=" + engine.owner});
  return a;
}

}  // namespace juanie::runner
