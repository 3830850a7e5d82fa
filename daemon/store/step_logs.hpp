#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/store/database.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "pipelines/error.hpp"

// Where a run's step logs are read from, for every view of them (the API's text, its live
// follow, the run's page). One node (SQLite) reads the files its runs wrote in data_dir, which
// steps.log names. Several nodes sharing PostgreSQL read `step_log_chunks`, which the node
// running a step fills as the step writes (runs/log_shipper.hpp): the same on every node, and
// still there when the node that ran it is gone.
namespace juanie::daemon::store {

// The PostgreSQL channel a node's followers are woken on; the payload is the run's id.
inline constexpr const char* kRunLogChannel = "run_log";
// The most one chunk holds (a shipper splits what is more).
inline constexpr std::size_t kLogChunkMax = 64 * 1024;

// The bytes of step `step` of `run` from `offset`, at most `max`; "" past the end.
Result<std::string> read_step_log(Database& db, std::int64_t run, const StepRecord& step,
                                  std::uint64_t offset, std::size_t max);
// The size of that log as stored now.
Result<std::uint64_t> step_log_size(Database& db, std::int64_t run, const StepRecord& step);

// PostgreSQL only: stores `bytes` (at most kLogChunkMax) at `at` in the log of step `step`, for
// the node that holds `run` while it runs — one whose lease passed stores nothing (false), as
// save_step refuses its steps — and wakes the run's followers on every node when the
// transaction commits. An offset already stored is a kConflict error (a second writer).
Result<bool> append_step_log(Database& db, std::int64_t run, int step, std::uint64_t at,
                             std::string_view bytes);
// Wakes the followers of `run` on every node when the transaction commits (NOTIFY); nothing on
// SQLite, whose followers are all in this process and look again on their own.
Result<void> notify_run_log(Database& db, std::int64_t run);

}  // namespace juanie::daemon::store
