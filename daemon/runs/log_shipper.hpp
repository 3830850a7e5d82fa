#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

#include "daemon/store/database.hpp"
#include "pipelines/error.hpp"

namespace juanie::daemon {

namespace store {
class Writer;
}
class Log;

// Several nodes sharing PostgreSQL: copies what each running step of this node writes to its
// log file into the store (store/step_logs.hpp), so any node serves and follows the log. The
// file stays the step's only sink (StepLog masks secrets and caps it at limits.log_max before
// a byte reaches it), so the store holds exactly the file's bytes.
//
// Each copy is a writer job that starts where the store's copy ends and reads the file on from
// there: a job that failed (a lost connection, a full queue) leaves the store a whole prefix of
// the file, and the next job goes on from it — never a gap, nothing sent twice, and a job may
// run again (the writer's contract) to the same effect. At most one look per log is queued at a
// time, so a slow store holds back no more than that. When the step ends, the rest of its file
// and the step's end are one job: a follower never sees a step ended without all of its log.
class LogShipper {
 public:
  LogShipper(store::Writer& writer, Log& log) : writer_(writer), log_(log) {}
  LogShipper(const LogShipper&) = delete;
  LogShipper& operator=(const LogShipper&) = delete;

  // A step of `run` began writing `file`.
  void open(std::int64_t run, int step, std::filesystem::path file);
  // The step ended: a job for the writer that stores the rest of its file, then runs `then`
  // (the step's end) in the same transaction. The log is forgotten here.
  std::function<Result<void>(store::Database&)> close(
      std::int64_t run, int step, std::function<Result<void>(store::Database&)> then);
  // Forgets whatever of `run` is still open (a run that ended by another way).
  void forget(std::int64_t run);
  // Queues a look at every open log with none queued yet.
  void ship();

 private:
  struct Tail {
    std::filesystem::path file;
    std::uint64_t serial = 0;  // tells this opening from an earlier one of the same step
    bool queued = false;       // a look is waiting on the writer
    bool refused = false;      // the store refused: the run is no longer this node's
  };
  using Key = std::pair<std::int64_t, int>;

  store::Writer& writer_;
  Log& log_;
  // Recursive: the writer may answer a submit at once (a full queue), inside ship().
  std::recursive_mutex mutex_;
  std::map<Key, Tail> open_;
  std::uint64_t serial_ = 0;
};

// Stores what `file` holds past the end of the store's copy of step `step` of `run`, at most
// `max_bytes` of it (0: all): the writer's job, on the writer's session. A refusal (the run is
// no longer this node's) is a kConflict error.
Result<void> store_log_tail(store::Database& db, std::int64_t run, int step,
                            const std::filesystem::path& file, std::uint64_t max_bytes);

}  // namespace juanie::daemon
