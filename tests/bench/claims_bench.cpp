// Runs claimed per second on a real PostgreSQL by 1, 3 and 8 claimers at once (each a
// connection of its own, as a node's scheduler would be), without and with a cluster-wide
// limit (which serializes claims). Not a test: a figure for the README, as a ratio to one claimer
// in the same invocation. `juanie_claims_bench [RUNS [URI]]`: on the database at URI (an
// empty one), or on a server of its own started as the tests start theirs (fsync off).
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/store/pg_claims.hpp"
#include "daemon/store/pg_schema.hpp"
#include "support/postgres_server.hpp"

namespace pg = juanie::daemon::store::pg;

namespace {

pg::Connection connect(const std::string& uri) {
  auto conn = pg::Connection::connect(uri);
  if (!conn) throw std::runtime_error(conn.error().message);
  return std::move(*conn);
}

void check(const juanie::Result<pg::Rows>& r) {
  if (!r) throw std::runtime_error(r.error().message);
}

// Seconds for `claimers` to claim (and finish at once) every queued run.
double claim_all(const std::string& uri, int claimers, std::optional<int> cluster_runs) {
  std::vector<pg::Connection> conns;
  for (int i = 0; i < claimers; ++i) conns.push_back(connect(uri));
  std::latch start(claimers + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < claimers; ++i) {
    threads.emplace_back([&, i] {
      const pg::ClaimRequest req{.node = "node-" + std::to_string(i),
                                 .node_capacity = 1 << 30,
                                 .per_project = 1 << 30,
                                 .cluster_runs = cluster_runs,
                                 .now = "2026-12-01T00:00:00Z"};
      start.arrive_and_wait();
      for (;;) {
        auto got = pg::with_retry(5, [&] { return pg::claim_run(conns[i], req); });
        if (!got) throw std::runtime_error(got.error().message);
        if (!*got) return;
        // Done at once, so the running runs stay few, as on real nodes.
        check(conns[i].exec("UPDATE runs SET state = 'succeeded' WHERE id = $1", {(*got)->run}));
      }
    });
  }
  const auto began = std::chrono::steady_clock::now();
  start.arrive_and_wait();
  for (auto& t : threads) t.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 3000;
  std::optional<juanie::test::PostgresServer> server;
  if (argc <= 2) server.emplace();
  const std::string uri = argc > 2 ? argv[2] : server->uri(server->create_database());
  auto conn = connect(uri);
  if (auto ok = pg::migrate(conn); !ok) throw std::runtime_error(ok.error().message);
  check(conn.exec(
      "INSERT INTO runs (project, ref, ref_kind, branch, sha, deploy_trigger, trigger, state, "
      "created_at) SELECT 'p' || (g % 30), 'r', 'branch', 'b', 's', 'push', 'push', 'queued', "
      "'x' FROM generate_series(1, $1) g",
      {runs}));
  std::cout << runs << " queued runs of 30 projects; claims per second (ratio to 1 claimer)\n";
  // With a cluster-wide limit (one that never binds here) every claim takes the cluster's lock.
  for (const std::optional<int> cluster_runs :
       {std::optional<int>(), std::optional<int>(1 << 30)}) {
    double base = 0;
    for (const int claimers : {1, 3, 8}) {
      check(conn.exec("UPDATE runs SET state = 'queued', node = NULL, lease_until = NULL"));
      check(conn.exec("VACUUM ANALYZE runs"));
      const double rate = runs / claim_all(uri, claimers, cluster_runs);
      if (claimers == 1) base = rate;
      std::cout << (cluster_runs ? "cluster limit" : "no cluster limit") << ", " << claimers
                << " claimer(s): " << static_cast<long>(rate) << "/s (" << rate / base << "x)\n";
    }
  }
}
