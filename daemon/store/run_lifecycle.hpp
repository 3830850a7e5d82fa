#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/database.hpp"
#include "pipelines/scheduling.hpp"
#include "pipelines/state_machines.hpp"

// The writes of a run's life after intake: started, steps, finished, cancelled, recovered.
// Every state change is checked against the run state machine first; an illegal one is an
// error and writes nothing.
namespace juanie::daemon::store {

struct StepRecord {
  int index = 0;
  std::string name;
  pipelines::StepState state = pipelines::StepState::kRunning;
  std::optional<std::int64_t> exit_code;
  std::optional<std::string> reason;
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
  std::optional<std::string> log;
};

Result<void> set_run_state(Database& db, std::int64_t run, pipelines::RunState to,
                           const std::optional<std::string>& reason, const std::string& now);

enum class CancelOutcome {
  kCancelled,  // the run is cancelled now
  kAsked,      // another node holds it running: it stops it at its next heartbeat
};

// A person's cancel: the run is cancelled at once — unless another node holds it running,
// which is asked to stop it (cancel_reason, read by its heartbeat) and then records it.
Result<CancelOutcome> cancel_run(Database& db, std::int64_t run, const std::string& reason,
                                 const std::string& now);

// Back to the queue with `reason`, its step rows of the stopped attempt removed: the next
// attempt starts from the beginning.
Result<void> requeue_run(Database& db, std::int64_t run, const std::string& reason,
                         const std::string& now);

// Several nodes: a running run whose pipeline asks for labels (runs_on) its node lacks goes
// back to the queue asking for `labels` — only a node that has them all claims it then — with
// `reason`, its attempt not counted. Refused (kConflict) unless this session's node holds it
// running. kNoNodeHasThem: no node ever registered has them all; kCancelAsked: a cancel was
// asked meanwhile (on any node). In both the run is left as it was, for the caller to end.
enum class HandBack { kQueued, kNoNodeHasThem, kCancelAsked };
Result<HandBack> hand_back_run(Database& db, std::int64_t run,
                               const std::vector<std::string>& labels, const std::string& reason,
                               const std::string& now);

Result<void> save_step(Database& db, std::int64_t run, const StepRecord& step);
Result<std::vector<StepRecord>> list_steps(Database& db, std::int64_t run);

// Queued runs, oldest first, and how many run per project now.
Result<std::vector<pipelines::QueuedRun>> queued_runs(Database& db);
Result<std::map<std::string, pipelines::RunningRuns>> running_per_project(Database& db);

struct Recovered {
  int requeued = 0;
  int failed = 0;
  int cancelled = 0;  // cancelled while they ran (cancel_reason): not run again
};

// At start: runs a crash left `running` are queued again (`requeue`) or failed, with the
// reason; their step rows of the interrupted attempt are removed when requeued. A run already
// interrupted `max_attempts` times fails whatever `requeue` says; one whose cancel was asked
// while it ran (a pull request's newer push or close: cancel_reason) is cancelled with that
// reason ("interrupted N times"): a run
// whose pipeline kills the daemon must not do so after every restart. With `node` (several
// nodes sharing a store), only the runs that node held: the others' are theirs, or go back to
// the queue when their leases pass.
Result<Recovered> recover_interrupted_runs(Database& db, bool requeue, int max_attempts,
                                           const std::string& now,
                                           const std::optional<std::string>& node = std::nullopt);

}  // namespace juanie::daemon::store
