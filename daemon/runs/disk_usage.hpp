#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "daemon/config/project_config.hpp"
#include "daemon/support/clock.hpp"
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

// Measures a project's disk by walking its directories, at most once per `fresh_for`: an
// API caller asking in a loop costs one walk per period, not one per request. Thread-safe.
class DiskUsage {
 public:
  DiskUsage(const runner::GitMirrors& mirrors, const runner::PristineTrees& trees,
            const Clock& clock, std::chrono::seconds fresh_for = std::chrono::seconds(30))
      : mirrors_(mirrors), trees_(trees), clock_(clock), fresh_for_(fresh_for) {}

  ProjectDisk of(const config::ProjectConfig& project) const;

 private:
  const runner::GitMirrors& mirrors_;
  const runner::PristineTrees& trees_;
  const Clock& clock_;
  std::chrono::seconds fresh_for_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::pair<std::chrono::system_clock::time_point, ProjectDisk>>
      measured_;
};

}  // namespace juanie::daemon
