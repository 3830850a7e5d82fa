#include "daemon/runs/cluster_claims.hpp"

namespace juanie::daemon {
namespace {

using Instant = std::chrono::steady_clock::time_point;

// Whether a look done at most once per `every` is due at `now`, the last one at `last`.
bool due(const std::optional<Instant>& last, std::chrono::steady_clock::duration every,
         Instant now) {
  return !last || now - *last >= every;
}

}  // namespace

Result<std::unique_ptr<ClusterClaims>> ClusterClaims::open(const std::filesystem::path& url_file,
                                                           ClusterSeat seat,
                                                           const std::string& now) {
  auto conn = store::pg::Connection::connect_file(url_file);
  if (!conn) return std::unexpected(conn.error());
  if (auto ok = store::pg::register_node(*conn, seat.node, seat.labels, seat.capacity, now); !ok) {
    return std::unexpected(ok.error());
  }
  return std::unique_ptr<ClusterClaims>(new ClusterClaims(std::move(*conn), std::move(seat)));
}

Result<std::optional<store::pg::Claim>> ClusterClaims::claim(const std::string& now) {
  store::pg::ClaimRequest request;
  request.node = seat_.node;
  request.labels = seat_.labels;
  request.lease_ttl = seat_.lease_ttl;
  request.node_capacity = seat_.capacity;
  request.per_project = seat_.per_project;
  request.now = now;
  // A deadlock the server broke is retried at once; anything else waits for the next pass.
  auto claimed = store::pg::with_retry(3, [&] { return store::pg::claim_run(conn_, request); });
  if (claimed) mark_ready();
  return claimed;
}

Result<std::vector<std::string>> ClusterClaims::retire_nodes(const std::string& now) {
  const auto at = std::chrono::steady_clock::now();
  if (!due(retired_at_, std::chrono::minutes(1), at)) return std::vector<std::string>{};
  retired_at_ = at;
  return store::pg::retire_nodes(conn_, seat_.node_retention, now);
}

void ClusterClaims::mark_ready() {
  // Four times a window at most; a mark that fails only makes the others less patient.
  const auto at = std::chrono::steady_clock::now();
  if (!due(ready_at_, store::pg::kReadyWindow / 4, at)) return;
  if (store::pg::mark_ready(conn_, seat_.node)) ready_at_ = at;
}

Result<ClusterClaims::Stops> ClusterClaims::renew(const std::vector<std::int64_t>& runs,
                                                  std::chrono::steady_clock::time_point now) {
  Stops stops;
  // Every pass for the runs' cancels (a person waits on them); the lease every third of it.
  const bool beat = due(renewed_at_, seat_.lease_ttl / 3, now);
  if (!beat && runs.empty()) return stops;
  if (beat) {
    if (auto ok = store::pg::node_heartbeat(conn_, seat_.node); !ok) {
      return std::unexpected(ok.error());
    }
    renewed_at_ = now;
  }
  for (const auto run : runs) {
    auto ok = store::pg::renew_lease(conn_, run, seat_.node, seat_.lease_ttl);
    if (ok) {
      if (*ok) stops.cancelled.push_back(run);
      continue;
    }
    if (ok.error().kind != ErrorKind::kConflict) return std::unexpected(ok.error());
    stops.lost.push_back(run);
  }
  return stops;
}

Result<store::pg::Expired> ClusterClaims::requeue_expired(const std::string& now) {
  // Leases pass in seconds: one look a second is enough, however often the scheduler is woken
  // (every webhook wakes it; a look is a transaction on the store).
  const auto at = std::chrono::steady_clock::now();
  if (!due(expired_at_, std::chrono::seconds(1), at)) return store::pg::Expired{};
  expired_at_ = at;
  return store::pg::requeue_expired(conn_, seat_.max_attempts, now);
}

}  // namespace juanie::daemon
