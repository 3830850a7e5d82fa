#pragma once

#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include "daemon/support/log_line.hpp"

namespace juanie::daemon {

// Line-oriented log to a stream (stderr under systemd, where journald adds the time): one
// logfmt line per event (daemon/support/log_line.hpp), never interleaved. Callers must not
// pass secrets.
class Log {
 public:
  explicit Log(std::ostream& out) : out_(out) {}
  void info(std::string_view message) { write(LogLevel::kInfo, {}, message); }
  void warn(std::string_view message) { write(LogLevel::kWarning, {}, message); }
  void error(std::string_view message) { write(LogLevel::kError, {}, message); }
  void info(const LogKeys& keys, std::string_view message) {
    write(LogLevel::kInfo, keys, message);
  }
  void warn(const LogKeys& keys, std::string_view message) {
    write(LogLevel::kWarning, keys, message);
  }
  void error(const LogKeys& keys, std::string_view message) {
    write(LogLevel::kError, keys, message);
  }

 private:
  // The line is put together first: std::cerr is unbuffered, so every `<<` into it was a
  // write(2) of its own.
  void write(LogLevel level, const LogKeys& keys, std::string_view message) {
    const std::string text = format_log_line(level, keys, message);
    std::lock_guard lock(mutex_);
    out_.write(text.data(), static_cast<std::streamsize>(text.size()));
    out_.flush();
  }
  std::ostream& out_;
  std::mutex mutex_;
};

}  // namespace juanie::daemon
