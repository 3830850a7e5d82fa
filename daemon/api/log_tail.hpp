#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/reader.hpp"
#include "daemon/support/run_log_bell.hpp"

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

// Where a tail cut from the middle of a log starts cleanly: after the first line end within
// kCleanStartReach bytes, so a UTF-8 character or an escape sequence cut at the front is not
// shown as garbage; with no line end that near, after any UTF-8 continuation bytes at the
// front (the rest of the cut character).
inline constexpr std::size_t kCleanStartReach = 4096;
// How often a follower with a bell reads the store when the bell stays silent: what a NOTIFY
// lost with a connection, or a change that sent none, is seen this late at worst.
inline constexpr std::chrono::seconds kUnrungLook{3};
std::size_t clean_start(std::string_view tail);

// Follows a run's step logs as the steps write them, for every live view of a log (the API's
// chunked text, the page's Server-Sent Events): the files are read from where the last look
// stopped, in step order, until the run has ended and every log is read to its end.
class LogTail {
 public:
  // `bell`: sharing a store, rung when the run's log or steps changed; between rings the store
  // is asked only every kUnrungLook (null: at every poll, as a single node's files are).
  LogTail(store::Reader& reader, std::int64_t run, const RunLogBell* bell = nullptr)
      : reader_(reader), run_(run), bell_(bell) {}
  // Starts each step's log at most `tail` bytes before its end as it is when first looked at
  // (at the next line start past that point), so a late viewer of a long log gets its end.
  LogTail(store::Reader& reader, std::int64_t run, std::uint64_t tail,
          const RunLogBell* bell = nullptr)
      : reader_(reader), run_(run), tail_(tail), bell_(bell) {}

  // What is new (nothing yet: empty, ask again later). Once the run has ended and its logs
  // are read, the last answer ends with kRunEnded and ended() is true.
  std::vector<LogEvent> poll();
  bool ended() const { return ended_; }
  std::int64_t run() const { return run_; }

 private:
  std::vector<LogEvent> read_new();

  store::Reader& reader_;
  std::int64_t run_;
  // Whether the store may hold something new: always without a bell.
  bool worth_a_look();

  struct Progress {
    bool opened = false;  // its start was told
    bool closed = false;  // its outcome was told
    std::uint64_t offset = 0;
    bool placed = false;    // its start within the log was chosen
    bool peek = false;      // the first byte read is the one before the start: a line end?
    bool mid_line = false;  // it starts mid-line: skip to the next line start
    std::optional<std::string> started_at;  // as told: another means a new attempt
  };
  std::map<int, Progress> progress_;  // by step index
  std::uint64_t tail_ = 0;            // 0: every log from its start
  bool ended_ = false;
  const RunLogBell* bell_ = nullptr;
  std::uint64_t heard_ = 0;  // the bell's generation at the last look
  std::chrono::steady_clock::time_point looked_{};
  bool more_ = true;        // the last look stopped before reading everything there was
  bool failed_ = false;     // the last look could not read the store (not an end)
  bool restarted_ = false;  // the run started its steps again since they were told
};

}  // namespace juanie::daemon::api
