#include "daemon/runs/workspace_sweep.hpp"

#include <charconv>
#include <string>

#include "runner/workspace_layers.hpp"

namespace juanie::daemon {

namespace fs = std::filesystem;

int sweep_workspaces(const fs::path& workspaces, fs::file_time_type cutoff,
                     const std::function<bool(std::int64_t run)>& in_use) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(workspaces, ec)) {
    const std::string name = entry.path().filename().string();
    // "<run>" or "<run>.secrets.env"
    std::int64_t run = 0;
    const bool numbered =
        std::from_chars(name.data(), name.data() + name.size(), run).ec == std::errc();
    if (numbered && in_use(run)) continue;
    std::error_code age_ec;
    const auto touched = fs::symlink_status(entry.path(), age_ec).type() == fs::file_type::symlink
                             ? cutoff - fs::file_time_type::duration(1)
                             : fs::last_write_time(entry.path(), age_ec);
    if (age_ec || touched >= cutoff) continue;
    runner::remove_workspace_dir(entry.path());
    std::error_code gone_ec;
    if (!fs::exists(fs::symlink_status(entry.path(), gone_ec))) ++removed;
  }
  return removed;
}

}  // namespace juanie::daemon
