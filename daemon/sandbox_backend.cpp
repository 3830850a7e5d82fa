#include "daemon/sandbox_backend.hpp"

namespace juanie::daemon {

runner::SandboxBackend sandbox_backend(const config::DaemonConfig& daemon) {
  const auto& s = daemon.sandbox;
  runner::SandboxBackend b;
  b.kind = s.backend;
  b.engine.binary = s.engine.empty() ? s.backend : s.engine;
  b.engine.podman = s.backend == "podman";
  b.engine.runtime = s.runtime;
  b.engine.memory = s.memory;
  b.engine.owner = runner::container_owner(daemon.data_dir.string());
  b.default_image = s.default_image;
  b.root_filesystems = s.root_filesystems;
  b.container_prefix = "juanie-" + b.engine.owner;
  return b;
}

}  // namespace juanie::daemon
