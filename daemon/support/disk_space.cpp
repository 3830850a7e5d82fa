#include "daemon/support/disk_space.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

namespace juanie::daemon {

std::optional<std::string> low_disk(const std::filesystem::path& dir, std::uint64_t min_free) {
  if (min_free == 0) return std::nullopt;
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) {
    return "cannot measure the free space of " + dir.string() + ": " + std::strerror(errno);
  }
  const std::uint64_t free = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free >= min_free) return std::nullopt;
  return "new runs wait: " + std::to_string(free >> 20) + " MiB free in " + dir.string() +
         ", below limits.min_free_disk (" + std::to_string(min_free >> 20) + " MiB)";
}

}  // namespace juanie::daemon
