#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/store/database.hpp"

namespace juanie::daemon::store {

// What retention may take, oldest first, at most `limit` at a time (short transactions beside
// intake). Cutoffs are RFC 3339 times, compared as the text they are stored as.

// Finished runs whose logs are still there and that finished before `cutoff`.
Result<std::vector<std::int64_t>> runs_with_logs_finished_before(Database& db,
                                                                 const std::string& cutoff,
                                                                 int limit);
Result<void> mark_logs_removed(Database& db, const std::vector<std::int64_t>& runs,
                               const std::string& now);

// Deletes finished runs that finished before `cutoff`, that no deployment names and that are
// not the newest run (so no id is ever given twice), with their
// steps and deliveries (a run that retried one of them forgets whom it retried), the
// delivered or abandoned notifications created before it, and the Flux events received before
// it and already weighed (but the newest). Returns the runs deleted. Inside the
// caller's transaction.
Result<std::vector<std::int64_t>> delete_runs_finished_before(Database& db,
                                                              const std::string& cutoff, int limit);

// Whether run `run` exists and its logs were not removed: its log directory is wanted.
Result<bool> logs_kept(Database& db, std::int64_t run);

}  // namespace juanie::daemon::store
