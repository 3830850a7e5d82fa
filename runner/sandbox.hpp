#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runner/workspace_layers.hpp"

namespace juanie::runner {

struct StepLimits {
  // A fork bomb stops here: pids.max of the step's cgroup where there is one, and RLIMIT_NPROC
  // of the sandbox user unless `nproc_rlimit` is off (steps that share the daemon's uid,
  // bounded by their cgroups, must not count each other's processes).
  int processes = 512;
  bool nproc_rlimit = true;
  std::uint64_t memory = 0;               // bytes, the step's cgroup (or container); 0: none
  std::uint64_t tmpfs_size = 1ULL << 30;  // each of the step's tmpfs mounts (/tmp, /run, /var)
  std::uint64_t file_size = 1ULL << 30;   // RLIMIT_FSIZE: largest file a step may write
  int cpu_seconds = 3600;                 // RLIMIT_CPU per process
  int open_files = 4096;                  // RLIMIT_NOFILE
};

// Everything one step's sandbox is made of.
struct SandboxSpec {
  std::filesystem::path workspace;  // bound read-write at /workspace, the working directory
  // A copy-on-write workspace: `workspace` is then its mount point (layers->merged), mounted by
  // the launcher bwrap runs under; a container engine mounts the overlay itself.
  std::optional<WorkspaceLayers> layers;
  // The whole environment, except secrets. Given on the sandbox's command line, never in the
  // environment of the programs that build the sandbox (setpriv, podman), which must not be
  // steered by a pipeline's LD_PRELOAD or CONTAINERS_CONF.
  std::vector<std::pair<std::string, std::string>> env;
  // A file of `export NAME='value'` lines, readable by the sandbox user, bound read-only at
  // kSecretsPath and sourced before the commands: secret values never appear on a command line,
  // where every local user could read them in /proc.
  std::optional<std::filesystem::path> secrets_file;
  // bwrap: a root filesystem bound read-only at / instead of the host's /usr and /etc.
  std::optional<std::filesystem::path> root_filesystem;
  std::vector<std::string> commands;  // run in order by /bin/sh, stop at first failure
  // A network through user-mode NAT in the step's own namespace (user_network.hpp); the
  // host's loopback and link-local addresses are never reachable.
  bool network = false;
  // podman: the prepared namespace (/run/netns/NAME, with its NAT) a networked step joins;
  // empty: podman's own slirp4netns (a rootless daemon).
  std::string network_namespace;
  // Paths that must not exist inside, even where a bound root (/etc) holds them: the daemon's
  // data directory, configuration and secrets.
  std::vector<std::filesystem::path> hidden;
  StepLimits limits;
  // When the daemon runs as root: the unprivileged uid/gid the sandbox runs as. Root's
  // process count is never limited by RLIMIT_NPROC, so a fork bomb is only contained under a
  // uid of its own.
  std::optional<std::pair<unsigned, unsigned>> run_as;
};

inline constexpr const char* kSecretsPath = "/run/juanie/secrets.env";
// bwrap with a network: where it reports its sandbox's pid and where it waits to start the
// step (ProcessOptions::inherit gives them in this order).
inline constexpr int kSandboxInfoFd = 3;
inline constexpr int kSandboxBlockFd = 4;

// The step's shell script: each command echoed as "+ command" before it runs, `set -e`; the
// secrets file sourced first when there is one.
std::string step_script(const std::vector<std::string>& commands, bool source_secrets = false);

// Quotes `text` for /bin/sh as one word.
std::string shell_quote(const std::string& text);

// The bubblewrap command line for `spec`: read-only host /usr and /etc, private /tmp, /proc
// and /dev, new user, PID, IPC, UTS, cgroup and network namespaces, no
// capabilities, a clean environment, hard resource limits set by prlimit inside, and the
// hidden paths covered by empty tmpfs mounts. Pure: no I/O.
std::vector<std::string> bwrap_argv(const SandboxSpec& spec);

}  // namespace juanie::runner
