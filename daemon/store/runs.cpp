#include "daemon/store/runs.hpp"

#include <algorithm>
#include <limits>

#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/state_column.hpp"

namespace juanie::daemon::store {
namespace {

constexpr const char* kRunColumns =
    "id, project, ref, ref_kind, branch, sha, environment, deploy_trigger, trigger, state, "
    "reason, delivery, forge, pusher, commit_message, commit_author, created_at, started_at, "
    "finished_at, retry_of, resume_from, sender, author_emails, logs_removed_at, pr_number, "
    "pr_title, pr_source_branch, pr_target_branch, pr_fork, pr_head_repository";

// Addresses are stored one per line (a forge never puts a line break in one: they are dropped).
std::string join_lines(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& item : list) {
    if (item.find_first_of("\r\n") != std::string::npos) continue;
    out += (out.empty() ? "" : "\n") + item;
  }
  return out;
}

std::vector<std::string> split_lines(const std::optional<std::string>& text) {
  std::vector<std::string> out;
  if (!text) return out;
  std::size_t start = 0;
  while (start <= text->size()) {
    const auto end = std::min(text->find('\n', start), text->size());
    if (end > start) out.push_back(text->substr(start, end - start));
    start = end + 1;
  }
  return out;
}

RunRecord read_run(const Statement& s) {
  RunRecord r;
  r.id = s.int64(0);
  r.project = s.text(1);
  r.ref = s.text(2);
  r.ref_kind = s.text(3);
  r.branch = s.text(4);
  r.sha = s.text(5);
  r.environment = s.optional_text(6);
  r.deploy_trigger = s.text(7);
  r.trigger = s.text(8);
  r.state = state_column(s, 9, pipelines::parse_run_state);
  r.reason = s.optional_text(10);
  r.delivery = s.optional_text(11);
  r.forge = s.optional_text(12);
  r.pusher = s.optional_text(13);
  r.commit_message = s.optional_text(14);
  r.commit_author = s.optional_text(15);
  r.created_at = s.text(16);
  r.started_at = s.optional_text(17);
  r.finished_at = s.optional_text(18);
  if (!s.is_null(19)) r.retry_of = s.int64(19);
  if (!s.is_null(20)) r.resume_from = s.int64(20);
  r.sender = s.optional_text(21);
  r.author_emails = split_lines(s.optional_text(22));
  r.logs_removed_at = s.optional_text(23);
  if (!s.is_null(24)) {
    PullRequestFields pr;
    pr.number = s.int64(24);
    pr.title = s.optional_text(25).value_or("");
    pr.source_branch = s.optional_text(26).value_or("");
    pr.target_branch = s.optional_text(27).value_or("");
    pr.fork = s.is_null(28) || s.int64(28) != 0;
    pr.head_repository = s.optional_text(29).value_or("");
    r.pull_request = std::move(pr);
  }
  return r;
}

Result<void> insert_delivery(Database& db, const RunRequest& req, std::int64_t run_id,
                             const std::string& now) {
  auto stmt = db.cached(
      "INSERT INTO deliveries (project, delivery_id, forge, event, received_at, run_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, req.project).bind(2, req.delivery).bind(3, req.forge).bind(4, req.event);
  stmt->bind(5, now).bind(6, run_id);
  return stmt->run();
}

}  // namespace

Result<IntakeOutcome> record_push(Database& db, const RunRequest& req, const std::string& now) {
  if (db.backend() == Backend::kPostgresql) {
    // Several nodes take webhooks at once, and a forge may redeliver to another node while the
    // first still writes: whoever comes second for the same commit of the same ref waits for
    // the first's transaction here, then finds its delivery or its run below. (On SQLite the
    // one writer is the serialization.) The first key is the class 0x4a550004, beside the
    // claims' classes in pg_claims.cpp.
    auto lock = db.cached(
        "SELECT pg_advisory_xact_lock(1247084548, "
        "hashtext(CAST(?1 AS text) || ' ' || CAST(?2 AS text) || ' ' || CAST(?3 AS text)))");
    if (!lock) return std::unexpected(lock.error());
    lock->bind(1, req.project).bind(2, req.ref).bind(3, req.sha);
    if (auto ok = lock->run(); !ok) return std::unexpected(ok.error());
  }
  {
    auto seen = db.cached(
        "SELECT d.run_id, r.environment FROM deliveries d JOIN runs r ON r.id = d.run_id "
        "WHERE d.project = ?1 AND d.delivery_id = ?2");
    if (!seen) return std::unexpected(seen.error());
    seen->bind(1, req.project).bind(2, req.delivery);
    auto row = seen->step();
    if (!row) return std::unexpected(row.error());
    if (*row) return IntakeOutcome{seen->int64(0), false, seen->optional_text(1)};
  }
  {
    auto active = db.cached(
        "SELECT id, environment FROM runs WHERE project = ?1 AND ref = ?2 AND sha = ?3 "
        "AND state IN ('queued', 'running') ORDER BY id LIMIT 1");
    if (!active) return std::unexpected(active.error());
    active->bind(1, req.project).bind(2, req.ref).bind(3, req.sha);
    auto row = active->step();
    if (!row) return std::unexpected(row.error());
    if (*row) {
      IntakeOutcome out{active->int64(0), false, active->optional_text(1)};
      if (auto ok = insert_delivery(db, req, out.run_id, now); !ok) {
        return std::unexpected(ok.error());
      }
      return out;
    }
  }
  auto insert = db.cached(
      "INSERT INTO runs (project, ref, ref_kind, branch, sha, environment, deploy_trigger, "
      "trigger, state, delivery, forge, pusher, commit_message, commit_author, created_at, "
      "sender, author_emails, pr_number, pr_title, pr_source_branch, pr_target_branch, pr_fork, "
      "pr_head_repository) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
      "?17, ?18, ?19, ?20, ?21, ?22) RETURNING id");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, req.project).bind(2, req.ref).bind(3, req.ref_kind).bind(4, req.branch);
  insert->bind(5, req.sha).bind_optional(6, req.environment).bind(7, req.deploy_trigger);
  insert->bind(8, req.trigger).bind(9, req.delivery).bind(10, req.forge).bind(11, req.pusher);
  insert->bind(12, req.commit_message).bind(13, req.commit_author).bind(14, now);
  insert->bind(15, req.sender).bind(16, join_lines(req.author_emails));
  if (const auto& pr = req.pull_request) {
    insert->bind(17, pr->number).bind(18, pr->title).bind(19, pr->source_branch);
    insert->bind(20, pr->target_branch).bind(21, static_cast<std::int64_t>(pr->fork ? 1 : 0));
    insert->bind(22, pr->head_repository);
  } else {
    for (int i = 17; i <= 22; ++i) insert->bind(i, std::nullopt);
  }
  auto inserted = inserted_id(*insert);
  if (!inserted) return std::unexpected(inserted.error());
  const std::int64_t run_id = *inserted;
  if (auto ok = insert_delivery(db, req, run_id, now); !ok) return std::unexpected(ok.error());
  return IntakeOutcome{run_id, true, req.environment};
}

std::string run_event(const RunRecord& run) {
  if (run.pull_request) return "pull_request";
  if (run.trigger == "manual") return "manual";
  return run.ref_kind == "tag" ? "tag" : "push";
}

namespace {

// The ids of `project`'s runs of `ref` in `state` (below `below` when given), oldest first.
Result<std::vector<std::int64_t>> runs_of_ref(Database& db, const std::string& project,
                                              const std::string& ref, std::string_view state,
                                              std::int64_t below) {
  auto stmt = db.cached(
      "SELECT id FROM runs WHERE project = ?1 AND ref = ?2 AND state = ?3 AND id < ?4 "
      "ORDER BY id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, project).bind(2, ref).bind(3, std::string(state)).bind(4, below);
  std::vector<std::int64_t> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(stmt->int64(0));
  }
  return out;
}

Result<std::vector<std::int64_t>> cancel_ref(Database& db, const std::string& project,
                                             const std::string& ref, std::int64_t below,
                                             const std::string& reason, const std::string& now) {
  auto queued = runs_of_ref(db, project, ref, "queued", below);
  if (!queued) return std::unexpected(queued.error());
  for (auto id : *queued) {
    if (auto ok = set_run_state(db, id, pipelines::RunState::kCancelled, reason, now); !ok) {
      return std::unexpected(ok.error());
    }
  }
  auto running = runs_of_ref(db, project, ref, "running", below);
  if (!running) return running;
  for (auto id : *running) {
    auto mark = db.cached("UPDATE runs SET cancel_reason = ?2 WHERE id = ?1");
    if (!mark) return std::unexpected(mark.error());
    mark->bind(1, id).bind(2, reason);
    if (auto ok = mark->run(); !ok) return std::unexpected(ok.error());
  }
  return running;
}

}  // namespace

Result<std::vector<std::int64_t>> supersede_pull_request(Database& db, const std::string& project,
                                                         const std::string& ref,
                                                         std::int64_t newest,
                                                         const std::string& now) {
  return cancel_ref(db, project, ref, newest, "superseded by run " + std::to_string(newest), now);
}

Result<std::vector<std::int64_t>> close_pull_request(Database& db, const std::string& project,
                                                     const std::string& ref,
                                                     const std::string& reason,
                                                     const std::string& now) {
  return cancel_ref(db, project, ref, std::numeric_limits<std::int64_t>::max(), reason, now);
}

Result<std::vector<RunRecord>> list_runs(Database& db, const std::optional<std::string>& project,
                                         int limit, std::optional<std::int64_t> before) {
  const std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE id < ?3" +
                          (project ? " AND project = ?1" : "") + " ORDER BY id DESC LIMIT ?2";
  auto stmt = db.prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  if (project) stmt->bind(1, *project);
  stmt->bind(2, static_cast<std::int64_t>(limit));
  stmt->bind(3, before.value_or(std::numeric_limits<std::int64_t>::max()));
  std::vector<RunRecord> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_run(*stmt));
  }
  return out;
}

Result<std::optional<RunRecord>> find_run(Database& db, std::int64_t id) {
  auto stmt = db.prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<RunRecord>();
  return std::optional<RunRecord>(read_run(*stmt));
}

Result<std::map<std::string, std::int64_t>> count_runs_by_state(Database& db) {
  auto stmt = db.prepare("SELECT state, count(*) FROM runs GROUP BY state");
  if (!stmt) return std::unexpected(stmt.error());
  std::map<std::string, std::int64_t> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out[stmt->text(0)] = stmt->int64(1);
  }
  return out;
}

Result<std::int64_t> count_deliveries(Database& db) {
  auto stmt = db.prepare("SELECT count(*) FROM deliveries");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return stmt->int64(0);
}

Result<std::int64_t> insert_retry(Database& db, std::int64_t run,
                                  std::optional<std::int64_t> resume_from, const std::string& now) {
  auto state = db.prepare("SELECT state FROM runs WHERE id = ?1");
  if (!state) return std::unexpected(state.error());
  state->bind(1, run);
  auto row = state->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorKind::kNotFound, "no run " + std::to_string(run));
  const auto current = state_column(*state, 0, pipelines::parse_run_state);
  if (!pipelines::is_final(current)) {
    return fail(ErrorKind::kConflict, "run " + std::to_string(run) + " is still " +
                                          std::string(pipelines::to_string(current)));
  }
  auto insert = db.prepare(
      "INSERT INTO runs (project, ref, ref_kind, branch, sha, environment, deploy_trigger, "
      "trigger, "
      "state, forge, pusher, commit_message, commit_author, created_at, retry_of, resume_from, "
      "sender, author_emails, pr_number, pr_title, pr_source_branch, pr_target_branch, pr_fork, "
      "pr_head_repository) "
      "SELECT project, ref, ref_kind, branch, sha, environment, deploy_trigger, 'retry', 'queued', "
      "forge, pusher, commit_message, commit_author, ?2, id, ?3, sender, author_emails, "
      "pr_number, pr_title, pr_source_branch, pr_target_branch, pr_fork, pr_head_repository "
      "FROM runs WHERE id = ?1 RETURNING id");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, run).bind(2, now);
  if (resume_from) {
    insert->bind(3, *resume_from);
  } else {
    insert->bind(3, std::nullopt);
  }
  return inserted_id(*insert);
}

Result<void> write_probe(Database& db, const std::string& now) {
  auto stmt = db.cached(
      "INSERT INTO probe (id, at) VALUES (1, ?1) "
      "ON CONFLICT (id) DO UPDATE SET at = excluded.at");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, now);
  return stmt->run();
}

}  // namespace juanie::daemon::store
