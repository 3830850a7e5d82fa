#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/error.hpp"
#include "pipelines/pipeline_file.hpp"
#include "runner/container_sandbox.hpp"

namespace juanie::runner {

struct ImageBuildRequest {
  std::filesystem::path workspace;
  pipelines::ImageBuild build;                // Dockerfile and context, relative to the workspace
  std::string reference;                      // registry/name:tag to build and push
  std::vector<std::string> extra_references;  // pushed too, the same image (a branch tag)
  ContainerEngine engine;  // podman (its runtime, memory); RUN lines run in containers
  StepLimits limits;       // processes: each RUN container's RLIMIT_NPROC
  // A cgroup (its path from the hierarchy's root) to put the RUN containers under, whose
  // pids.max bounds them all: they run as root, which RLIMIT_NPROC does not bound. podman then
  // manages cgroups itself (cgroupfs), as this path is no systemd slice.
  std::optional<std::string> cgroup_parent;
  // RUN lines get a network only when the project says so, and then their own behind NAT.
  bool network = false;
  bool tls_verify = true;  // false only for a plain-http registry (a local one)
  std::optional<std::filesystem::path> authfile;  // registry credentials (secrets_dir)
  std::chrono::milliseconds timeout{30 * 60 * 1000};
  const std::atomic<bool>* cancel = nullptr;
  // A tag never moves. Asked just before the push and again after it: the digest the registry
  // holds under `reference` (nullopt: no such tag). One already there is reused when `ours`
  // knows it (an earlier run of this commit pushed it), refused otherwise.
  std::function<Result<std::optional<std::string>>(const std::string& reference)> registry_digest;
  std::function<bool(const std::string& digest)> ours;
};

struct PushedImage {
  std::string reference;
  std::string digest;  // sha256:..., as the registry stored it
};

// `podman build` of the workspace's Dockerfile and context (both must resolve inside the
// workspace, symlinks included: a repository must not build the host's / into an image) with
// no capabilities, bounded processes and memory for its RUN lines,
// then `podman push` recording the digest. Output goes to `output` as it comes; the
// credentials file is named on the command line, its contents never are.
Result<PushedImage> build_and_push(const ImageBuildRequest& request,
                                   const std::function<void(std::string_view)>& output);

}  // namespace juanie::runner
