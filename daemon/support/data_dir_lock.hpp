#pragma once

#include <filesystem>
#include <string>

namespace juanie::daemon {

// An exclusive flock on data_dir/juanie.lock for the life of the process (the kernel drops it
// when the process dies, however it dies); the file says who holds it.
class DataDirLock {
 public:
  explicit DataDirLock(const std::filesystem::path& file);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  bool held() const { return held_; }
  // " (pid N)" of the process holding it, or "".
  std::string holder() const;

 private:
  int fd_ = -1;
  bool held_ = false;
};

}  // namespace juanie::daemon
