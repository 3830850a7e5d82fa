#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace juanie::daemon::web {

// How much of the step logs a run's page (and each of its live streams) carries: a log is a
// repository's output, up to limits.log_max per step, so without a bound one run's page would
// be as big as all its logs, built anew on an HTTP thread for every GET. The whole text stays
// at /api/v1/runs/{id}/log.
inline constexpr std::uint64_t kStepLogTail = 256 * 1024;     // bytes of each step's log read
inline constexpr std::size_t kStepLogHtml = 1024 * 1024;      // HTML of one step's log
inline constexpr std::size_t kPageLogHtml = 2 * 1024 * 1024;  // HTML of all the steps' logs

struct LogExcerpt {
  std::string text;            // the end of the log (all of it when it is short)
  std::uint64_t size = 0;      // the log's whole size
  std::uint64_t left_out = 0;  // bytes before `text` not read
};

// At most the last `max` bytes of a log of `size` bytes, read through `read(offset, length)`
// (the rest is never read), started cleanly (api::clean_start).
LogExcerpt log_tail(std::uint64_t size, std::uint64_t max,
                    const std::function<std::string(std::uint64_t, std::size_t)>& read);
// The same of the log file at `path`. An unreadable file is an empty excerpt.
LogExcerpt read_log_tail(const std::string& path, std::uint64_t max);

}  // namespace juanie::daemon::web
