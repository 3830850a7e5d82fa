#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>

namespace juanie::daemon {

// Removes the workspaces (data_dir/workspaces/<run>) whose run is not in use and that were
// last touched before `cutoff`: a failed run's workspace is kept for `retry ?from=failed`
// until limits.workspace_ttl, then it goes. Anything else in the directory that is not a
// run's workspace (a leftover secrets file) goes too once it is that old. Returns how many
// entries were removed.
int sweep_workspaces(const std::filesystem::path& workspaces,
                     std::filesystem::file_time_type cutoff,
                     const std::function<bool(std::int64_t run)>& in_use);

}  // namespace juanie::daemon
