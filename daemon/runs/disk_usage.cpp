#include "daemon/runs/disk_usage.hpp"

namespace juanie::daemon {

namespace fs = std::filesystem;

std::uintmax_t bytes_under(const fs::path& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec) && !it->is_symlink(size_ec)) {
      const auto size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

ProjectDisk DiskUsage::of(const config::ProjectConfig& project) const {
  // One walk at a time, and none while a fresh answer is at hand.
  std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  if (auto it = measured_.find(project.name);
      it != measured_.end() && now - it->second.first < fresh_for_) {
    return it->second.second;
  }
  ProjectDisk disk;
  disk.mirror_bytes = bytes_under(mirrors_.path_for(project.repo_url));
  disk.trees_bytes = trees_.size_of(project.name);
  disk.measured_at = rfc3339(now);
  measured_[project.name] = {now, disk};
  return disk;
}

}  // namespace juanie::daemon
