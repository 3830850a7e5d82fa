#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/flux/flux_event.hpp"
#include "daemon/store/database.hpp"

// Flux's word on rollouts, stored before the hook answers 2xx (like a webhook's delivery), so
// a verdict the daemon has acknowledged survives a crash before it is acted on.
namespace juanie::daemon::store {

struct FluxEventRecord {
  std::int64_t id = 0;
  std::string project;
  std::string received_at;
  flux::FluxEvent event;
  std::optional<std::string> outcome;  // what it changed, once processed; nullopt before
};

struct FluxIntake {
  std::int64_t id = 0;
  bool created = false;  // false: the same object, revision and reason came before
};

// Inside the caller's transaction. Flux repeats an event (each reconciliation, each replica of
// the controller, a retried delivery): while one about the same object, revision and reason
// waits to be acted on, a repeat is that event (its id, created false). Once acted on, the same
// news again — the revision deployed a second time — is a new event.
Result<FluxIntake> record_flux_event(Database& db, const std::string& project,
                                     const flux::FluxEvent& event, const std::string& now);

// Stored events nobody has acted on yet, oldest first, from the one after id `after` (so a
// pass can page past the events it leaves waiting).
Result<std::vector<FluxEventRecord>> unprocessed_flux_events(Database& db, int limit,
                                                             std::int64_t after = 0);
Result<void> set_flux_event_outcome(Database& db, std::int64_t id, const std::string& outcome,
                                    const std::string& now);

}  // namespace juanie::daemon::store
