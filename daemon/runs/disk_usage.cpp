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

DiskUsage::DiskUsage(const runner::GitMirrors& mirrors, const runner::PristineTrees& trees,
                     const Clock& clock, std::chrono::seconds fresh_for)
    : mirrors_(mirrors),
      trees_(trees),
      clock_(clock),
      fresh_for_(fresh_for),
      // Woken when asked; the period only bounds how long a missed wake could wait.
      worker_(std::chrono::hours(1), [this](bool) { measure_wanted(); }) {}

std::optional<ProjectDisk> DiskUsage::of(const config::ProjectConfig& project) const {
  std::optional<ProjectDisk> last;
  {
    std::lock_guard lock(mutex_);
    auto it = measured_.find(project.name);
    if (it != measured_.end()) last = it->second.second;
    if (it != measured_.end() && clock_.now() - it->second.first < fresh_for_) return last;
    wanted_[project.name] = project.repo_url;
  }
  worker_.wake();
  return last;
}

void DiskUsage::measure_wanted() {
  std::map<std::string, std::string> wanted;
  {
    std::lock_guard lock(mutex_);
    wanted.swap(wanted_);
  }
  for (const auto& [name, url] : wanted) {
    ProjectDisk disk;
    disk.mirror_bytes = bytes_under(mirrors_.path_for(url));
    disk.trees_bytes = trees_.size_of(name);
    const auto now = clock_.now();
    disk.measured_at = rfc3339(now);
    std::lock_guard lock(mutex_);
    measured_[name] = {now, disk};
  }
}

}  // namespace juanie::daemon
