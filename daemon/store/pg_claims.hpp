#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/pg_connection.hpp"

// Runs claimed as leases by the build nodes sharing one queue (issue 15). A node claims a queued
// run, holds it while its lease lasts, renews the lease by a heartbeat while the run executes,
// and loses it when the lease passes; any node then puts the run back in the queue (counting
// the attempt) or fails it past the attempt limit, as the single-node store does after a crash
// (recover_interrupted_runs in run_lifecycle.cpp: the same `interruptions` counter, the same
// limit, the same reasons). Leases are measured on the database's clock.
//
// How the limits hold when several nodes claim at once. A claim is one READ COMMITTED
// transaction:
//  1. with a cluster-wide limit, it takes the cluster's advisory transaction lock first and
//     counts the running runs: claims then serialize (a claim is a few statements, so hundreds
//     a second still pass); without one, claims of different projects run side by side;
//  2. it takes its node's advisory transaction lock and counts the node's running runs against
//     the node's capacity (several threads of one node cannot overfill it);
//  3. it picks the oldest queued run the node's labels satisfy with FOR UPDATE SKIP LOCKED — a
//     run another claimer is looking at is skipped, never waited for;
//  4. it tries the run's project's advisory transaction lock (pg_try_advisory_xact_lock) and,
//     holding it, counts the project's running runs: whoever counts next, in any node, has
//     to wait for this transaction's end, so it sees this claim. Under READ COMMITTED every
//     statement reads the newest committed rows, so that count is exact. The project's lock is
//     tried, not waited for: a claimer already holds row locks then, and two claimers each
//     waiting for the other's project would deadlock. A project whose lock is busy or whose
//     limit is reached is left out and step 3 repeats for the next candidate.
//  5. it marks the run running with the node and the lease, and commits.
// Locks 1 and 2 are waited for but taken before any row lock, always in that order.
//
// Fairness. Claims race, and a node that is quick to ask (woken by its own intake, or done with
// a short run) would otherwise take runs while others are idle. So in step 3 a node passes
// over a run that another node could take (it has the run's labels) while that node holds
// fewer running runs than this one, has room for another, and asked for a run within the last
// kReadyWindow (ready_at, marked by mark_ready after each claim attempt that did not fail).
// The less busy node takes it at its next look (a scheduler looks at least once a second). A
// node that stops asking — down, out of disk, failing — is passed over no more once its
// ready_at is older than the window, so a run waits at most that long for fairness' sake.
namespace juanie::daemon::store::pg {

struct ClaimRequest {
  std::string node;                 // the claiming node's name
  std::vector<std::string> labels;  // the node's labels: a run's runs_on must be among them
  std::chrono::seconds lease_ttl{60};
  int node_capacity = 2;            // runs this node may hold at once
  int per_project = 2;              // runs of one project across the cluster
  std::optional<int> cluster_runs;  // runs across the cluster (none: the nodes' sum)
  std::string now;                  // RFC 3339, for started_at as the store writes it
};

struct Claim {
  std::int64_t run = 0;
  std::string project;
  std::int64_t interruptions = 0;  // attempts before this one that a lost lease ended
};

// One queued run for the node, or none when nothing it may take is queued or a limit holds.
// A retryable error (a deadlock the server broke) may be retried at once.
Result<std::optional<Claim>> claim_run(Connection& conn, const ClaimRequest& request);

// The heartbeat: the lease of `run` held by `node` — running, or ended but its execution (the
// delivery of its image) not yet returned — is extended to now + ttl; returns the
// cancel someone asked for meanwhile (cancel_reason: a person on another node, a pull request
// closed), which the node carries out. kConflict when the node no longer holds it (the lease
// passed and another node requeued the run): the node must stop the run, its result no longer
// counts (the store refuses its writes: set_run_state).
Result<std::optional<std::string>> renew_lease(Connection& conn, std::int64_t run,
                                               const std::string& node,
                                               std::chrono::seconds lease_ttl);

struct Expired {
  std::vector<std::int64_t> requeued;
  std::vector<std::int64_t> failed;
  std::vector<std::int64_t> cancelled;  // their cancel was asked while they ran
};

// Runs whose lease has passed: each counts one more interruption and goes back to the queue
// (its step rows of the lost attempt removed), or fails once interrupted `max_attempts` times,
// or is cancelled when its cancel was asked while it ran. Any node may call it at any time;
// rows another caller is handling are skipped, so each expiry is handled once.
Result<Expired> requeue_expired(Connection& conn, int max_attempts, const std::string& now);

// This node's row among the nodes (18): its labels and capacity, when this process started
// (RFC 3339, the node's clock), and a first heartbeat.
Result<void> register_node(Connection& conn, const std::string& node,
                           const std::vector<std::string>& labels, int capacity,
                           const std::string& started_at);
// The node's heartbeat: it is alive now (the database's clock).
Result<void> node_heartbeat(Connection& conn, const std::string& node);
// Drops the nodes not heard from for `retention` that hold no run (a node that comes back
// registers again): their names, sorted. Queued runs asking for labels that no node left has
// fail then, saying so (`now`: their finished_at), in the same transaction.
Result<std::vector<std::string>> retire_nodes(Connection& conn, std::chrono::seconds retention,
                                              const std::string& now);

// The node asked for a run with room for one (fairness, above). Its own transaction, committed
// without waiting for the WAL flush: a mark lost in a crash only makes another node less
// patient for a second.
Result<void> mark_ready(Connection& conn, const std::string& node);

// How long a node that asked for a run counts as asking (fairness, above).
inline constexpr std::chrono::seconds kReadyWindow{2};

// Whether deployment `id` is being carried out by another node: its run's lease, held by a
// node other than `me`, has not passed. The node that executed a run delivers its image right
// after (renew_lease keeps the lease of a run whose execution has not returned, whatever its
// state); the node on duty (pg_duty.hpp) carries out what waited on a person, and what a dead
// or restarted node left, once that lease has passed.
Result<bool> carried_out_elsewhere(Connection& conn, std::int64_t id, const std::string& me);

struct NodeRecord {
  std::string name;
  std::vector<std::string> labels;
  std::int64_t capacity = 0;
  std::int64_t running = 0;  // runs it holds now
  std::string started_at;
  std::string heartbeat_at;  // RFC 3339, UTC
  bool alive = false;        // heartbeat younger than the lease
};
// Every node that ever registered, by name.
Result<std::vector<NodeRecord>> list_nodes(Connection& conn, std::chrono::seconds lease_ttl);

}  // namespace juanie::daemon::store::pg
