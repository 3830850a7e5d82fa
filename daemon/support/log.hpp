#pragma once

#include <mutex>
#include <ostream>
#include <string>
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
  // The line is put together first: std::cerr is unbuffered, so every `<<` into it was a
  // write(2) of its own — four per line.
  void write(std::string_view level, std::string_view line) {
    std::string text;
    text.reserve(kPrefix.size() + level.size() + line.size() + 1);
    text.append(kPrefix).append(level).append(line).push_back('\n');
    std::lock_guard lock(mutex_);
    out_.write(text.data(), static_cast<std::streamsize>(text.size()));
    out_.flush();
  }
  static constexpr std::string_view kPrefix = "juanie: ";
  std::ostream& out_;
  std::mutex mutex_;
};

}  // namespace juanie::daemon
