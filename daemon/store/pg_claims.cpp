#include "daemon/store/pg_claims.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "daemon/store/step_logs.hpp"

namespace juanie::daemon::store::pg {
namespace {

// Classes of the two-key advisory locks (the second key: hashtext of the name). Two names of
// one hash share a lock: more waiting, never a broken limit.
constexpr int kClusterLock = 0x4a550001;
constexpr int kNodeLock = 0x4a550002;
constexpr int kProjectLock = 0x4a550003;

// How often a claim that found every candidate project's lock busy begins again: the holders
// are claims of a few statements, done in moments.
constexpr int kBusyRetries = 50;

Result<std::int64_t> count(Connection& conn, const char* sql, std::initializer_list<Param> p) {
  auto rows = conn.exec(sql, p);
  if (!rows) return std::unexpected(rows.error());
  return rows->int64(0, 0);
}

struct Attempt {
  std::optional<Claim> claim;
  bool busy = false;  // a candidate was passed over only because its project's lock was busy
};

Result<Attempt> claim_once(Connection& conn, const ClaimRequest& req) {
  auto tx = Transaction::begin(conn);
  if (!tx) return std::unexpected(tx.error());
  Attempt out;
  if (req.cluster_runs) {
    if (auto ok = conn.exec("SELECT pg_advisory_xact_lock($1, 0)", {kClusterLock}); !ok) {
      return std::unexpected(ok.error());
    }
    auto running = count(conn, "SELECT count(*) FROM runs WHERE state = 'running'", {});
    if (!running) return std::unexpected(running.error());
    if (*running >= *req.cluster_runs) return out;  // rolled back: nothing was written
  }
  if (auto ok = conn.exec("SELECT pg_advisory_xact_lock($1, hashtext($2))", {kNodeLock, req.node});
      !ok) {
    return std::unexpected(ok.error());
  }
  auto held =
      count(conn, "SELECT count(*) FROM runs WHERE state = 'running' AND node = $1", {req.node});
  if (!held) return std::unexpected(held.error());
  if (*held >= req.node_capacity) return out;

  std::vector<std::string> left_out;  // projects full or busy in this transaction
  for (;;) {
    auto candidate = conn.exec(
        // `idle`: the labels of each other node less busy than this one that has room and is
        // asking (fairness: pg_claims.hpp); their runs are left to them.
        "WITH idle AS (SELECT n.labels FROM nodes n WHERE n.name <> $3 "
        "  AND n.ready_at > now() - $5::bigint * interval '1 second' "
        "  AND (SELECT count(*) FROM runs r WHERE r.state = 'running' AND r.node = n.name) "
        "    < least(n.capacity, $4::bigint)) "
        "SELECT id, project, interruptions FROM runs WHERE state = 'queued' "
        "AND runs_on <@ $1::text[] AND NOT (project = ANY ($2::text[])) "
        "AND NOT EXISTS (SELECT 1 FROM idle WHERE idle.labels @> runs.runs_on) "
        "ORDER BY id LIMIT 1 FOR UPDATE OF runs SKIP LOCKED",
        {Param::array(req.labels), Param::array(left_out), req.node, Param::bigint(*held),
         Param::bigint(kReadyWindow.count())});
    if (!candidate) return std::unexpected(candidate.error());
    if (candidate->empty()) return out;
    const std::int64_t id = candidate->int64(0, 0);
    const std::string project = candidate->text(0, 1);
    auto locked =
        conn.exec("SELECT pg_try_advisory_xact_lock($1, hashtext($2))", {kProjectLock, project});
    if (!locked) return std::unexpected(locked.error());
    if (locked->text(0, 0) != "t") {
      out.busy = true;
      left_out.push_back(project);
      continue;
    }
    auto running = count(conn, "SELECT count(*) FROM runs WHERE state = 'running' AND project = $1",
                         {project});
    if (!running) return std::unexpected(running.error());
    if (*running >= req.per_project) {
      left_out.push_back(project);
      continue;
    }
    auto update = conn.exec(
        "UPDATE runs SET state = 'running', node = $2, "
        "lease_until = now() + $3::bigint * interval '1 second', started_at = $4, "
        "finished_at = NULL, reason = NULL WHERE id = $1",
        {id, req.node, static_cast<std::int64_t>(req.lease_ttl.count()), req.now});
    if (!update) return std::unexpected(update.error());
    // Its log's followers on every node: the run has started.
    if (auto told = conn.exec("SELECT pg_notify($1, $2)", {kRunLogChannel, std::to_string(id)});
        !told) {
      return std::unexpected(told.error());
    }
    if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
    out.claim = Claim{id, project, candidate->int64(0, 2)};
    out.busy = false;
    return out;
  }
}

}  // namespace

Result<std::optional<Claim>> claim_run(Connection& conn, const ClaimRequest& request) {
  for (int i = 0;; ++i) {
    auto attempt = claim_once(conn, request);
    if (!attempt) return std::unexpected(attempt.error());
    if (attempt->claim || !attempt->busy || i >= kBusyRetries) return attempt->claim;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Result<std::optional<std::string>> renew_lease(Connection& conn, std::int64_t run,
                                               const std::string& node,
                                               std::chrono::seconds lease_ttl) {
  auto rows = conn.exec(
      "UPDATE runs SET lease_until = now() + $3::bigint * interval '1 second' "
      "WHERE id = $1 AND node = $2 AND state <> 'queued' "
      "RETURNING CASE WHEN state = 'running' THEN cancel_reason END",
      {run, node, static_cast<std::int64_t>(lease_ttl.count())});
  if (!rows) return std::unexpected(rows.error());
  if (rows->affected() == 0) {
    return fail(ErrorKind::kConflict, "run " + std::to_string(run) + " is no longer held by node " +
                                          node + ": its lease passed");
  }
  return rows->optional_text(0, 0);
}

Result<Expired> requeue_expired(Connection& conn, int max_attempts, const std::string& now) {
  auto tx = Transaction::begin(conn);
  if (!tx) return std::unexpected(tx.error());
  // The same decisions as recover_interrupted_runs, in one statement: a cancel asked while it
  // ran wins, then the attempt limit, then the queue.
  auto rows = conn.exec(
      "WITH expired AS (SELECT id FROM runs WHERE state = 'running' AND lease_until < now() "
      "  ORDER BY id FOR UPDATE SKIP LOCKED), "
      "decided AS (SELECT r.id, CASE WHEN r.cancel_reason IS NOT NULL THEN 'cancelled' "
      "  WHEN r.interruptions + 1 >= $1::int THEN 'failed' ELSE 'queued' END AS next "
      "  FROM runs r JOIN expired USING (id)) "
      "UPDATE runs r SET interruptions = r.interruptions + 1, state = d.next, "
      "  reason = CASE d.next WHEN 'cancelled' THEN r.cancel_reason "
      "    WHEN 'failed' THEN 'interrupted ' || (r.interruptions + 1) || "
      "      ' times (limits.run_attempts: ' || $1::int || '); not queued again' "
      "    ELSE 'the lease of node ' || coalesce(r.node, '?') || ' passed; queued again' END, "
      "  started_at = CASE d.next WHEN 'queued' THEN NULL ELSE r.started_at END, "
      "  finished_at = CASE d.next WHEN 'queued' THEN NULL ELSE $2 END, "
      "  node = CASE d.next WHEN 'queued' THEN NULL ELSE r.node END, lease_until = NULL "
      "FROM decided d WHERE r.id = d.id AND r.state = 'running' RETURNING r.id, r.state",
      {max_attempts, now});
  if (!rows) return std::unexpected(rows.error());
  Expired out;
  std::vector<std::string> requeued_ids, all_ids;
  for (int i = 0; i < rows->size(); ++i) {
    const std::int64_t id = rows->int64(i, 0);
    all_ids.push_back(std::to_string(id));
    const std::string state = rows->text(i, 1);
    if (state == "queued") {
      out.requeued.push_back(id);
      requeued_ids.push_back(std::to_string(id));
    } else if (state == "failed") {
      out.failed.push_back(id);
    } else {
      out.cancelled.push_back(id);
    }
  }
  if (!requeued_ids.empty()) {
    // The next attempt starts from the beginning, as after a restart.
    for (const char* sql : {"DELETE FROM step_log_chunks WHERE run_id = ANY ($1::bigint[])",
                            "DELETE FROM steps WHERE run_id = ANY ($1::bigint[])"}) {
      auto cleared = conn.exec(sql, {Param::array(requeued_ids)});
      if (!cleared) return std::unexpected(cleared.error());
    }
  }
  if (!rows->empty()) {
    // Their followers on every node: each run is queued again, failed or cancelled.
    auto told = conn.exec("SELECT pg_notify($1, id::text) FROM unnest($2::bigint[]) id",
                          {kRunLogChannel, Param::array(all_ids)});
    if (!told) return std::unexpected(told.error());
  }
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  for (auto* ids : {&out.requeued, &out.failed, &out.cancelled})
    std::sort(ids->begin(), ids->end());
  return out;
}

Result<std::vector<std::string>> retire_nodes(Connection& conn, std::chrono::seconds retention,
                                              const std::string& now) {
  auto tx = Transaction::begin(conn);
  if (!tx) return std::unexpected(tx.error());
  auto rows = conn.exec(
      "DELETE FROM nodes n WHERE heartbeat_at < now() - $1::bigint * interval '1 second' "
      "AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.node = n.name AND r.state = 'running') "
      "RETURNING name",
      {Param::bigint(retention.count())});
  if (!rows) return std::unexpected(rows.error());
  std::vector<std::string> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(rows->text(i, 0));
  std::sort(out.begin(), out.end());
  if (!out.empty()) {
    // Runs handed back waiting for labels only a retired node had would wait for ever: they
    // fail as a run asking for labels no node has does (run_executor.cpp).
    auto failed = conn.exec(
        "UPDATE runs r SET state = 'failed', finished_at = $1, node = NULL, lease_until = NULL, "
        "reason = 'no build node has all the labels ' || array_to_string(r.runs_on, ', ') || "
        "' the pipeline asks for (runs_on); add them to a node''s node.labels' "
        "WHERE r.state = 'queued' AND r.runs_on <> '{}' "
        "AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.labels @> r.runs_on)",
        {now});
    if (!failed) return std::unexpected(failed.error());
  }
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return out;
}

Result<void> mark_ready(Connection& conn, const std::string& node) {
  auto tx = Transaction::begin(conn);
  if (!tx) return std::unexpected(tx.error());
  if (auto ok = conn.exec("SET LOCAL synchronous_commit TO off"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = conn.exec("UPDATE nodes SET ready_at = now() WHERE name = $1", {node}); !ok) {
    return std::unexpected(ok.error());
  }
  return tx->commit();
}

Result<void> register_node(Connection& conn, const std::string& node,
                           const std::vector<std::string>& labels, int capacity,
                           const std::string& started_at) {
  auto ok = conn.exec(
      "INSERT INTO nodes (name, labels, capacity, started_at, heartbeat_at) "
      "VALUES ($1, $2::text[], $3, $4, now()) ON CONFLICT (name) DO UPDATE SET "
      "labels = excluded.labels, capacity = excluded.capacity, started_at = excluded.started_at, "
      "heartbeat_at = excluded.heartbeat_at",
      {node, Param::array(labels), capacity, started_at});
  if (!ok) return std::unexpected(ok.error());
  return {};
}

Result<void> node_heartbeat(Connection& conn, const std::string& node) {
  auto ok = conn.exec("UPDATE nodes SET heartbeat_at = now() WHERE name = $1", {node});
  if (!ok) return std::unexpected(ok.error());
  if (ok->affected() == 0) return fail(ErrorKind::kNotFound, "node " + node + " is not registered");
  return {};
}

Result<bool> carried_out_elsewhere(Connection& conn, std::int64_t id, const std::string& me) {
  auto rows = conn.exec(
      "SELECT count(*) FROM deployments d JOIN runs r ON r.id = d.run_id "
      "WHERE d.id = $1 AND r.node <> $2 AND r.lease_until > now()",
      {id, me});
  if (!rows) return std::unexpected(rows.error());
  return rows->int64(0, 0) > 0;
}

Result<std::vector<NodeRecord>> list_nodes(Connection& conn, std::chrono::seconds lease_ttl) {
  auto rows = conn.exec(
      "SELECT n.name, array_to_string(n.labels, E'\\n'), n.capacity, "
      "(SELECT count(*) FROM runs r WHERE r.state = 'running' AND r.node = n.name), "
      "n.started_at, to_char(n.heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
      "n.heartbeat_at > now() - $1::bigint * interval '1 second' FROM nodes n ORDER BY n.name",
      {static_cast<std::int64_t>(lease_ttl.count())});
  if (!rows) return std::unexpected(rows.error());
  std::vector<NodeRecord> out;
  for (int i = 0; i < rows->size(); ++i) {
    NodeRecord n;
    n.name = rows->text(i, 0);
    // Labels are names without line breaks (config: node.labels).
    for (std::string rest = rows->text(i, 1); !rest.empty();) {
      const auto end = rest.find('\n');
      n.labels.push_back(rest.substr(0, end));
      rest = end == std::string::npos ? std::string() : rest.substr(end + 1);
    }
    n.capacity = rows->int64(i, 2);
    n.running = rows->int64(i, 3);
    n.started_at = rows->text(i, 4);
    n.heartbeat_at = rows->text(i, 5);
    n.alive = rows->int64(i, 6) == 1;
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace juanie::daemon::store::pg
