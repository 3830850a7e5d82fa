#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "daemon/config/project_config.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/periodic_worker.hpp"
#include "runner/git_mirror.hpp"
#include "runner/pristine_trees.hpp"

namespace juanie::daemon {

// What a project keeps on the build node's disk between runs.
struct ProjectDisk {
  std::uintmax_t mirror_bytes = 0;  // its repository's bare mirror
  std::uintmax_t trees_bytes = 0;   // its branches' pristine trees (the workspaces' lower layers)
  std::string measured_at;          // RFC 3339
};

// The sum of the sizes of the regular files under `dir` (0 when there is none).
std::uintmax_t bytes_under(const std::filesystem::path& dir);

// A project's disk, measured by walking its directories on a thread of its own: an HTTP
// thread only reads the last measurement (a walk of 100k files must not hold up webhooks), and
// a measurement older than `fresh_for` is made again when asked for, once however many ask.
class DiskUsage {
 public:
  DiskUsage(const runner::GitMirrors& mirrors, const runner::PristineTrees& trees,
            const Clock& clock, std::chrono::seconds fresh_for = std::chrono::seconds(30));
  ~DiskUsage() { worker_.stop(); }
  DiskUsage(const DiskUsage&) = delete;
  DiskUsage& operator=(const DiskUsage&) = delete;

  void start() { worker_.start(); }

  // The last measurement of `project` (nullopt before the first); asks for a new one when it
  // is older than fresh_for.
  std::optional<ProjectDisk> of(const config::ProjectConfig& project) const;

 private:
  void measure_wanted();

  const runner::GitMirrors& mirrors_;
  const runner::PristineTrees& trees_;
  const Clock& clock_;
  std::chrono::seconds fresh_for_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::pair<std::chrono::system_clock::time_point, ProjectDisk>>
      measured_;
  mutable std::map<std::string, std::string> wanted_;  // project → repository URL
  mutable PeriodicWorker worker_;
};

}  // namespace juanie::daemon
