#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipelines/error.hpp"
#include "runner/sandbox.hpp"

namespace juanie::runner {

// A container engine with podman's (or docker's) command line.
struct ContainerEngine {
  std::string binary = "podman";  // podman | docker, or a path to one of them
  bool podman = true;             // podman's flags (--runtime before `run`, --userns keep-id)
  std::string runtime;            // OCI runtime, e.g. runc where crun cannot run; empty: default
  // Every container is labelled io.juanie.owner=<owner>, so that what a killed daemon left
  // behind can be found and removed at its next start.
  std::string owner;
};

// The engine's program and its global options (podman's --runtime), before a subcommand.
std::vector<std::string> engine_command(const ContainerEngine& engine);

// `engine run` for one step: the image's root read-only, the workspace at /workspace, private
// /tmp (sized), no network unless asked, no capabilities, no-new-privileges, pids, memory
// (spec.limits.memory, swap included), file-size, CPU and open-file limits (ulimits the host
// allows: runc refuses to raise a hard limit), an init process that passes SIGTERM on to the step,
// the sandbox user's uid. The environment is on the command line; secrets come in a file
// (SandboxSpec::secrets_file). Pure: no I/O.
std::vector<std::string> container_run_argv(const SandboxSpec& spec, const ContainerEngine& engine,
                                            const std::string& image, const std::string& name);

// Removes the container `name` at once, running or not.
std::vector<std::string> container_remove_argv(const ContainerEngine& engine,
                                               const std::string& name);

// Lists the ids of every container labelled with the engine's owner, one per line.
std::vector<std::string> container_list_argv(const ContainerEngine& engine);

// The environment of the engine's own process: PATH and where it finds its storage (HOME,
// XDG_*), nothing of the step's, which could steer it (CONTAINERS_CONF, LD_PRELOAD).
std::vector<std::string> engine_environment();

// A stable name for the owner of a daemon's containers: a hash of its data directory, so two
// daemons on one host never remove each other's containers.
std::string container_owner(const std::string& data_dir);

// Removes what an engine holds of `engine.owner` (containers a killed daemon left behind).
// Returns how many were removed, or why the engine could not be asked.
Result<int> remove_leftover_containers(const ContainerEngine& engine);

}  // namespace juanie::runner
