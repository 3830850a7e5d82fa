#include "support/processes.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

namespace juanie::test {

std::vector<std::string> command_lines() {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    const int fd = ::open((it->path() / "cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string line;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
      line.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    out.push_back(std::move(line));
  }
  return out;
}

int kill_processes_running(const std::vector<std::string>& argv) {
  std::string wanted;
  for (const auto& arg : argv) wanted += arg + '\0';
  int killed = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int fd = ::open((it->path() / "cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string line;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
      line.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    if (line == wanted && ::kill(std::stoi(name), SIGKILL) == 0) ++killed;
  }
  return killed;
}

bool process_with_marker_exists(const std::string& marker) {
  for (const auto& line : command_lines()) {
    if (line.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace juanie::test
