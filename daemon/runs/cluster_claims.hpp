#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/pg_claims.hpp"
#include "daemon/store/pg_connection.hpp"

namespace juanie::daemon {

// This node's place among the build nodes sharing one PostgreSQL store.
struct ClusterSeat {
  std::string node;
  std::vector<std::string> labels;
  std::chrono::seconds lease_ttl{60};
  int capacity = 2;      // limits.concurrent_runs: runs this node holds at once
  int per_project = 2;   // limits.runs_per_project, across the cluster
  int max_attempts = 3;  // limits.run_attempts
  std::chrono::seconds node_retention{std::chrono::hours(24 * 7)};  // cluster.node_retention
};

// The scheduler's side of the shared queue: runs are claimed as leases (store/pg_claims.hpp)
// instead of chosen by this node alone, the leases of the runs this node executes are renewed
// by its heartbeat, and the runs of nodes that stopped renewing go back to the queue. Used only
// from the scheduler's thread, on a connection of its own (a claim's transaction must not mix
// with the writer's batches).
class ClusterClaims {
 public:
  // Registers the node (store/pg_claims.hpp: register_node) as started at `now`.
  static Result<std::unique_ptr<ClusterClaims>> open(const std::filesystem::path& url_file,
                                                     ClusterSeat seat, const std::string& now);

  const ClusterSeat& seat() const { return seat_; }
  // One queued run this node may take now, marked running with this node's lease; none when
  // nothing it may take is queued or a limit holds.
  Result<std::optional<store::pg::Claim>> claim(const std::string& now);
  // This node is asking for runs and has room (each claim that went through marks it too): a
  // busier node leaves new runs to it for a moment (store/pg_claims.hpp: fairness).
  void mark_ready();
  // The heartbeat, when due (every third of the lease): the node's own and the leases of
  // `runs` are extended.
  // Returns the runs to stop here: those this node no longer holds (their lease passed and
  // another node took them back: their execution here no longer counts), and those whose
  // cancel was asked elsewhere.
  struct Stops {
    std::vector<std::int64_t> lost;
    std::vector<std::int64_t> cancelled;
  };
  Result<Stops> renew(const std::vector<std::int64_t>& runs,
                      std::chrono::steady_clock::time_point now);
  // The runs whose leases passed, any node's: queued again or failed, each once. At most one
  // look a second (none: an empty answer).
  Result<store::pg::Expired> requeue_expired(const std::string& now);
  // The nodes not heard from for cluster.node_retention, dropped (store/pg_claims.hpp:
  // retire_nodes), and the queued runs only they could take failed. At most one look a minute
  // (none: an empty answer).
  Result<std::vector<std::string>> retire_nodes(const std::string& now);

 private:
  ClusterClaims(store::pg::Connection conn, ClusterSeat seat)
      : conn_(std::move(conn)), seat_(std::move(seat)) {}
  store::pg::Connection conn_;
  ClusterSeat seat_;
  std::optional<std::chrono::steady_clock::time_point> renewed_at_;
  std::optional<std::chrono::steady_clock::time_point> expired_at_;  // the last expiry look
  std::optional<std::chrono::steady_clock::time_point> ready_at_;    // the last mark_ready
  std::optional<std::chrono::steady_clock::time_point> retired_at_;  // the last retirement look
};

}  // namespace juanie::daemon
