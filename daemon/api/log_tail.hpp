#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/reader.hpp"

namespace juanie::daemon::api {

// One thing a run's log gained: a step began, wrote bytes or ended, or the run ended.
struct LogEvent {
  enum class Kind { kStepStarted, kOutput, kStepEnded, kRunEnded };
  Kind kind = Kind::kOutput;
  int step = -1;      // the step's index (not for kRunEnded)
  std::string name;   // the step's name
  std::string state;  // the step's (kStepEnded) or the run's (kRunEnded) final state
  std::optional<std::string> reason;
  std::string bytes;  // kOutput: at most 64 KiB of one step's log
};

// Follows a run's step logs as the steps write them, for every live view of a log (the API's
// chunked text, the page's Server-Sent Events): the files are read from where the last look
// stopped, in step order, until the run has ended and every log is read to its end.
class LogTail {
 public:
  LogTail(store::Reader& reader, std::int64_t run) : reader_(reader), run_(run) {}

  // What is new (nothing yet: empty, ask again later). Once the run has ended and its logs
  // are read, the last answer ends with kRunEnded and ended() is true.
  std::vector<LogEvent> poll();
  bool ended() const { return ended_; }
  std::int64_t run() const { return run_; }

 private:
  std::vector<LogEvent> read_new();

  store::Reader& reader_;
  std::int64_t run_;
  struct Progress {
    bool opened = false;  // its start was told
    bool closed = false;  // its outcome was told
    std::uint64_t offset = 0;
  };
  std::map<int, Progress> progress_;  // by step index
  bool ended_ = false;
};

}  // namespace juanie::daemon::api
