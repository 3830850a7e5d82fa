#pragma once

#include <mutex>
#include <ostream>
#include <string_view>

namespace juanie::daemon {

// Line-oriented log to a stream (stderr under systemd, where journald adds the time). One
// line per call, never interleaved. Callers must not pass secrets.
class Log {
 public:
  explicit Log(std::ostream& out) : out_(out) {}
  void info(std::string_view line) { write("", line); }
  void warn(std::string_view line) { write("warning: ", line); }
  void error(std::string_view line) { write("error: ", line); }

 private:
  void write(std::string_view level, std::string_view line) {
    std::lock_guard lock(mutex_);
    out_ << "juanie: " << level << line << '\n' << std::flush;
  }
  std::ostream& out_;
  std::mutex mutex_;
};

}  // namespace juanie::daemon
