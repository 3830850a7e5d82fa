#include "daemon/store/schema.hpp"

#include <array>
#include <string>

namespace juanie::daemon::store {
namespace {

// Append only: a released migration is never edited.
constexpr std::array<const char*, 20> kMigrations{
    // 1: intake — runs and the deliveries that caused them.
    R"sql(
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  project        TEXT NOT NULL,
  ref            TEXT NOT NULL,
  ref_kind       TEXT NOT NULL CHECK (ref_kind IN ('branch', 'tag')),
  branch         TEXT NOT NULL,
  sha            TEXT NOT NULL,
  environment    TEXT,
  deploy_trigger TEXT NOT NULL CHECK (deploy_trigger IN ('push', 'manual')),
  trigger        TEXT NOT NULL,
  state          TEXT NOT NULL
                 CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  reason         TEXT,
  delivery       TEXT,
  forge          TEXT,
  pusher         TEXT,
  commit_message TEXT,
  commit_author  TEXT,
  created_at     TEXT NOT NULL,
  started_at     TEXT,
  finished_at    TEXT
);
CREATE INDEX runs_by_project ON runs (project, id);
CREATE INDEX runs_active ON runs (project, ref, sha) WHERE state IN ('queued', 'running');
CREATE INDEX runs_by_state ON runs (state);
CREATE TABLE deliveries (
  project     TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  forge       TEXT NOT NULL,
  event       TEXT NOT NULL,
  received_at TEXT NOT NULL,
  run_id      INTEGER NOT NULL REFERENCES runs (id),
  PRIMARY KEY (project, delivery_id)
) WITHOUT ROWID;
CREATE TABLE probe (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);
)sql",
    // 2: execution — one row per planned step of a run.
    R"sql(
CREATE TABLE steps (
  run_id      INTEGER NOT NULL REFERENCES runs (id),
  idx         INTEGER NOT NULL,
  name        TEXT NOT NULL,
  state       TEXT NOT NULL
              CHECK (state IN ('running', 'succeeded', 'failed', 'skipped', 'cancelled')),
  exit_code   INTEGER,
  reason      TEXT,
  started_at  TEXT,
  finished_at TEXT,
  log         TEXT,
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
)sql",
    // 3: retries — a run may repeat another, whole or from its failed step.
    R"sql(
ALTER TABLE runs ADD COLUMN retry_of INTEGER REFERENCES runs (id);
ALTER TABLE runs ADD COLUMN resume_from INTEGER;
)sql",
    // 4: deployments — an image of a run going to an environment through the GitOps repository.
    R"sql(
CREATE TABLE deployments (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES runs (id),
  project       TEXT NOT NULL,
  environment   TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'awaiting_approval', 'running',
                                                'success', 'failed', 'rolled_back', 'cancelled')),
  image         TEXT NOT NULL,
  tag           TEXT NOT NULL,
  digest        TEXT,
  gitops_commit TEXT,
  reason        TEXT,
  created_at    TEXT NOT NULL,
  started_at    TEXT,
  finished_at   TEXT,
  UNIQUE (run_id, environment)
);
CREATE INDEX deployments_by_project ON deployments (project, id);
CREATE INDEX deployments_by_state ON deployments (state);
)sql",
    // 5: approvals — who triggered, until when a deployment waits, the decisions (a link's
    // nonce is unique: it records one decision), the notifications outbox and the audit log.
    R"sql(
ALTER TABLE deployments ADD COLUMN triggered_by TEXT;
ALTER TABLE deployments ADD COLUMN triggered_at TEXT;
ALTER TABLE deployments ADD COLUMN expires_at TEXT;
CREATE TABLE approvals (
  id             INTEGER PRIMARY KEY,
  deployment_id  INTEGER NOT NULL REFERENCES deployments (id),
  approver       TEXT NOT NULL,
  decision       TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
  comment        TEXT,
  decided_at     TEXT NOT NULL,
  source_address TEXT,
  user_agent     TEXT,
  token_nonce    TEXT NOT NULL UNIQUE,
  UNIQUE (deployment_id, approver)
);
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  sink            TEXT NOT NULL,
  event           TEXT NOT NULL,
  payload         TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'abandoned')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error      TEXT,
  created_at      TEXT NOT NULL,
  delivered_at    TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE TABLE audit (
  id             INTEGER PRIMARY KEY,
  at             TEXT NOT NULL,
  action         TEXT NOT NULL,
  actor          TEXT,
  deployment_id  INTEGER,
  outcome        TEXT NOT NULL CHECK (outcome IN ('done', 'refused')),
  detail         TEXT,
  source_address TEXT,
  user_agent     TEXT
);
CREATE INDEX audit_by_deployment ON audit (deployment_id, id);
)sql",
    // 6: how many times a crash interrupted a run, so a run that kills the daemon ends.
    R"sql(
ALTER TABLE runs ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0;
)sql",
    // 7: authorship — who a run came from besides its pusher (the sender's login, the commits'
    // author and committer addresses, one per line) and the person behind a trigger's token:
    // none of them may approve its deployment where self-approval is not allowed.
    R"sql(
ALTER TABLE runs ADD COLUMN sender TEXT;
ALTER TABLE runs ADD COLUMN author_emails TEXT;
ALTER TABLE deployments ADD COLUMN triggered_person TEXT;
)sql",
    // 8: images juanie pushed, recorded as soon as the registry took them: a run requeued after
    // a crash between the push and its deployment finds its own tag and reuses it.
    R"sql(
CREATE TABLE pushed_images (
  project   TEXT NOT NULL,
  image     TEXT NOT NULL,
  tag       TEXT NOT NULL,
  digest    TEXT NOT NULL,
  pushed_at TEXT NOT NULL,
  PRIMARY KEY (project, image, tag, digest)
);
)sql",
    // 9: retention — when a run's logs were removed, and finished runs found by age.
    R"sql(
ALTER TABLE runs ADD COLUMN logs_removed_at TEXT;
CREATE INDEX runs_by_finish ON runs (finished_at) WHERE finished_at IS NOT NULL;
)sql",
    // 10: a run's deletion finds its deliveries and its retries by index (and so do the
    // foreign-key checks): without them each deleted run scanned both tables twice, and a
    // batch of 200 held the writer for a minute at 300k runs.
    R"sql(
CREATE INDEX deliveries_by_run ON deliveries (run_id);
CREATE INDEX runs_by_retry ON runs (retry_of) WHERE retry_of IS NOT NULL;
)sql",
    // 11: Flux's events about rollouts, stored before the hook answers. Flux repeats itself:
    // while one about an object, revision and reason waits to be acted on, a repeat is that
    // same row; once acted on, the same news later (a redeploy of the revision) is a new row.
    // `outcome` says what an event changed (NULL: not yet).
    R"sql(
CREATE TABLE flux_events (
  id            INTEGER PRIMARY KEY,
  project       TEXT NOT NULL,
  dedupe_key    TEXT NOT NULL,
  received_at   TEXT NOT NULL,
  kind          TEXT NOT NULL,
  name          TEXT NOT NULL,
  namespace     TEXT NOT NULL,
  severity      TEXT NOT NULL,
  reason        TEXT NOT NULL,
  message       TEXT NOT NULL,
  event_time    TEXT NOT NULL,
  revision      TEXT,
  gitops_commit TEXT,
  outcome       TEXT,
  processed_at  TEXT
);
CREATE UNIQUE INDEX flux_events_waiting ON flux_events (project, dedupe_key)
  WHERE outcome IS NULL;
CREATE INDEX flux_events_unprocessed ON flux_events (id) WHERE outcome IS NULL;
)sql",
    // 12: rollouts and rollbacks. A deployment may wait for Flux (`deploying`, from when its
    // commit was pushed: committed_at); a rollback is a deployment of an earlier image
    // (rollback_of: the deployment it undoes, so one run may be deployed again by one), and
    // the deployment it undid records the commit that did (rollback_commit). SQLite cannot
    // alter a CHECK: the table is copied (foreign keys are off while migrations run).
    R"sql(
CREATE TABLE deployments_v12 (
  id               INTEGER PRIMARY KEY,
  run_id           INTEGER NOT NULL REFERENCES runs (id),
  project          TEXT NOT NULL,
  environment      TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('pending', 'awaiting_approval', 'running',
                                                  'deploying', 'success', 'failed',
                                                  'rolled_back', 'cancelled')),
  image            TEXT NOT NULL,
  tag              TEXT NOT NULL,
  digest           TEXT,
  gitops_commit    TEXT,
  reason           TEXT,
  created_at       TEXT NOT NULL,
  started_at       TEXT,
  finished_at      TEXT,
  triggered_by     TEXT,
  triggered_at     TEXT,
  expires_at       TEXT,
  triggered_person TEXT,
  committed_at     TEXT,
  rollback_of      INTEGER,
  rollback_commit  TEXT
);
INSERT INTO deployments_v12 (id, run_id, project, environment, state, image, tag, digest,
  gitops_commit, reason, created_at, started_at, finished_at, triggered_by, triggered_at,
  expires_at, triggered_person, committed_at)
SELECT id, run_id, project, environment, state, image, tag, digest, gitops_commit, reason,
  created_at, started_at, finished_at, triggered_by, triggered_at, expires_at, triggered_person,
  CASE WHEN gitops_commit IS NOT NULL THEN finished_at END
FROM deployments;
DROP TABLE deployments;
ALTER TABLE deployments_v12 RENAME TO deployments;
CREATE UNIQUE INDEX deployments_one_per_run ON deployments (run_id, environment)
  WHERE rollback_of IS NULL;
CREATE INDEX deployments_by_project ON deployments (project, id);
CREATE INDEX deployments_by_state ON deployments (state);
CREATE INDEX deployments_by_environment ON deployments (project, environment, id);
)sql",
    // 13: pull/merge request runs — what the forge said about the request (pr_number is set
    // for them alone), and their runs found by ref to supersede or cancel them. A running run
    // a newer push or a close cancelled keeps why (cancel_reason): a restart before it stopped
    // cancels it instead of queueing it again.
    R"sql(
ALTER TABLE runs ADD COLUMN pr_number INTEGER;
ALTER TABLE runs ADD COLUMN pr_title TEXT;
ALTER TABLE runs ADD COLUMN pr_source_branch TEXT;
ALTER TABLE runs ADD COLUMN pr_target_branch TEXT;
ALTER TABLE runs ADD COLUMN pr_fork INTEGER;
ALTER TABLE runs ADD COLUMN pr_head_repository TEXT;
ALTER TABLE runs ADD COLUMN cancel_reason TEXT;
CREATE INDEX runs_by_ref ON runs (project, ref, id) WHERE state IN ('queued', 'running');
)sql",
    // 14: commit statuses. Every change of a run's or a deployment's state, whichever path
    // makes it (intake, scheduler, executor, cancel, recovery, approvals, Flux, `juanie
    // trigger` in another process), enqueues its status in the outbox in the same transaction:
    // these triggers are the one place, so no path can forget one. Only projects listed in
    // status_projects (those with repo.status_token; the daemon rewrites the list at start and
    // reload) report. `supersede_key` (project, sha, what) keeps at most one status pending per
    // commit and context: a newer one abandons the older, so the older can never be delivered
    // after it. A pull request's run reports under a context of its own (`…/pr`): a stranger's
    // run of a commit (no secrets, other steps) must not overwrite what its push run said. The
    // forge's word, the context and the link are worked out when it is sent.
    // runs.status_report: how the forge took the newest status of the run or its deployments.
    R"sql(
ALTER TABLE outbox ADD COLUMN supersede_key TEXT;
CREATE INDEX outbox_superseding ON outbox (supersede_key) WHERE state = 'pending';
ALTER TABLE runs ADD COLUMN status_report TEXT;
CREATE TABLE status_projects (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TRIGGER runs_status_inserted AFTER INSERT ON runs
WHEN NEW.project IN (SELECT name FROM status_projects)
BEGIN
  UPDATE outbox SET state = 'abandoned', last_error = 'superseded by a newer status'
    WHERE state = 'pending' AND supersede_key = NEW.project || ' ' || NEW.sha || CASE WHEN NEW.pr_number IS NULL THEN ' run' ELSE ' pr' END;
  INSERT INTO outbox (sink, event, payload, state, next_attempt_at, created_at, supersede_key)
  VALUES ('{"type":"commit_status"}', 'run_status',
          json_object('project', NEW.project, 'run', NEW.id, 'sha', NEW.sha, 'state', NEW.state,
                      'reason', coalesce(NEW.reason, ''), 'step_failed', json('false'),
                      'pull_request', json(CASE WHEN NEW.pr_number IS NULL THEN 'false'
                                                ELSE 'true' END)),
          'pending', '', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
          NEW.project || ' ' || NEW.sha || CASE WHEN NEW.pr_number IS NULL THEN ' run' ELSE ' pr' END);
END;
CREATE TRIGGER runs_status_changed AFTER UPDATE OF state ON runs
WHEN NEW.state IS NOT OLD.state AND NEW.project IN (SELECT name FROM status_projects)
BEGIN
  UPDATE outbox SET state = 'abandoned', last_error = 'superseded by a newer status'
    WHERE state = 'pending' AND supersede_key = NEW.project || ' ' || NEW.sha || CASE WHEN NEW.pr_number IS NULL THEN ' run' ELSE ' pr' END;
  INSERT INTO outbox (sink, event, payload, state, next_attempt_at, created_at, supersede_key)
  VALUES ('{"type":"commit_status"}', 'run_status',
          json_object('project', NEW.project, 'run', NEW.id, 'sha', NEW.sha, 'state', NEW.state,
                      'reason', coalesce(NEW.reason, ''),
                      'step_failed', json(CASE WHEN EXISTS (SELECT 1 FROM steps
                        WHERE run_id = NEW.id AND state = 'failed') THEN 'true' ELSE 'false' END),
                      'pull_request', json(CASE WHEN NEW.pr_number IS NULL THEN 'false'
                                                ELSE 'true' END)),
          'pending', '', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
          NEW.project || ' ' || NEW.sha || CASE WHEN NEW.pr_number IS NULL THEN ' run' ELSE ' pr' END);
END;
CREATE TRIGGER deployments_status_inserted AFTER INSERT ON deployments
WHEN NEW.project IN (SELECT name FROM status_projects)
BEGIN
  UPDATE outbox SET state = 'abandoned', last_error = 'superseded by a newer status'
    WHERE state = 'pending' AND supersede_key = NEW.project || ' ' ||
      (SELECT sha FROM runs WHERE id = NEW.run_id) || ' deploy/' || NEW.environment;
  INSERT INTO outbox (sink, event, payload, state, next_attempt_at, created_at, supersede_key)
  SELECT '{"type":"commit_status"}', 'deployment_status',
         json_object('project', NEW.project, 'run', NEW.run_id, 'deployment', NEW.id,
                     'sha', r.sha, 'environment', NEW.environment, 'state', NEW.state),
         'pending', '', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
         NEW.project || ' ' || r.sha || ' deploy/' || NEW.environment
  FROM runs r WHERE r.id = NEW.run_id;
END;
CREATE TRIGGER deployments_status_changed AFTER UPDATE OF state ON deployments
WHEN NEW.state IS NOT OLD.state AND NEW.project IN (SELECT name FROM status_projects)
BEGIN
  UPDATE outbox SET state = 'abandoned', last_error = 'superseded by a newer status'
    WHERE state = 'pending' AND supersede_key = NEW.project || ' ' ||
      (SELECT sha FROM runs WHERE id = NEW.run_id) || ' deploy/' || NEW.environment;
  INSERT INTO outbox (sink, event, payload, state, next_attempt_at, created_at, supersede_key)
  SELECT '{"type":"commit_status"}', 'deployment_status',
         json_object('project', NEW.project, 'run', NEW.run_id, 'deployment', NEW.id,
                     'sha', r.sha, 'environment', NEW.environment, 'state', NEW.state),
         'pending', '', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
         NEW.project || ' ' || r.sha || ' deploy/' || NEW.environment
  FROM runs r WHERE r.id = NEW.run_id;
END;
)sql",
    // 15: how a decision reached juanie — an approver's signed link or the status page of a
    // signed-in person. Everything decided before came through a link.
    R"sql(
ALTER TABLE approvals ADD COLUMN via TEXT NOT NULL DEFAULT 'link' CHECK (via IN ('link', 'page'));
ALTER TABLE audit ADD COLUMN via TEXT CHECK (via IS NULL OR via IN ('link', 'page'));
UPDATE audit SET via = 'link' WHERE action IN ('approve', 'reject', 'decide');
)sql",
    // 16: migration 15 marked the decisions of the audit log by their action's name, but a
    // refused decision's action was whatever its form posted ('yes', 'Approve', ...), so those
    // kept no `via`. Marked by what the rows are instead: before 15 every decision came by
    // link, and only decisions were ever audited as refused (every other row — requests,
    // triggers, cancels, expiries, supersedes, rollbacks — is 'done' by the daemon or an
    // operator, and no decision), so every refused row, and every done approve or reject,
    // still without a `via` is a link's. Since 15 every decision is written with its `via`,
    // so no page decision is among them. Not left NULL ("unknown"): how they came is known.
    R"sql(
UPDATE audit SET via = 'link'
  WHERE via IS NULL AND (outcome = 'refused' OR action IN ('approve', 'reject', 'decide'));
)sql",
    // 17: several build nodes sharing one queue on PostgreSQL (issue 15; daemon/store/pg_schema.cpp
    // has the same migration): the node holding a running run and the end of its lease, and the
    // labels a run asks of the node that claims it (a JSON array). A single node leaves them
    // empty; they are here so both backends keep one schema and one numbering.
    R"sql(
ALTER TABLE runs ADD COLUMN node TEXT;
ALTER TABLE runs ADD COLUMN lease_until TEXT;
ALTER TABLE runs ADD COLUMN runs_on TEXT NOT NULL DEFAULT '[]';
CREATE INDEX runs_by_lease ON runs (lease_until) WHERE state = 'running';
CREATE INDEX runs_queued ON runs (id) WHERE state = 'queued';
)sql",
    // 18: the build nodes sharing a store, each with its labels, capacity, when it started and
    // its last heartbeat (GET /api/v1/nodes; whether a node that started a deployment is still
    // alive to finish it). Empty on a single node.
    R"sql(
CREATE TABLE nodes (
  name         TEXT PRIMARY KEY,
  labels       TEXT NOT NULL DEFAULT '[]',
  capacity     INTEGER NOT NULL,
  started_at   TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
);
)sql",
    // 19: step logs in the store, in chunks at their byte offset (`at`), for the nodes sharing
    // a PostgreSQL store: any node serves and follows any run's log, also once the node that
    // ran it is gone. A single node keeps its logs as files in data_dir; empty here.
    R"sql(
CREATE TABLE step_log_chunks (
  run_id     INTEGER NOT NULL REFERENCES runs(id),
  step_index INTEGER NOT NULL,
  at         INTEGER NOT NULL,
  bytes      BLOB NOT NULL,
  PRIMARY KEY (run_id, step_index, at)
);
)sql",
    // 20: when each node sharing a store last asked for a run with room for one: a busier node
    // leaves new work to a less busy one that is asking (store/pg_claims.hpp). Empty here.
    R"sql(
ALTER TABLE nodes ADD COLUMN ready_at TEXT;
)sql",
};

Result<int> user_version(Database& db) {
  auto stmt = db.prepare("PRAGMA user_version");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return static_cast<int>(stmt->int64(0));
}

Result<void> foreign_keys_hold(Database& db) {
  auto stmt = db.prepare("PRAGMA foreign_key_check");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (*row) return fail("a row of " + stmt->text(0) + " refers to a row that is not there");
  return {};
}

}  // namespace

int schema_version() {
  return static_cast<int>(kMigrations.size());
}

Result<void> configure_writer(Database& db) {
  auto mode = db.prepare("PRAGMA journal_mode = WAL");
  if (!mode) return std::unexpected(mode.error());
  auto row = mode->step();
  if (!row) return std::unexpected(row.error());
  if (mode->text(0) != "wal") return fail("sqlite: cannot switch the database to WAL mode");
  return db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

Result<void> migrate(Database& db, int target) {
  auto version = user_version(db);
  if (!version) return std::unexpected(version.error());
  if (*version > schema_version()) {
    return fail("the database is at schema version " + std::to_string(*version) +
                ", newer than this juanie (" + std::to_string(schema_version()) +
                "); refusing to touch it");
  }
  if (*version >= target) return {};
  // A migration that copies a table (SQLite cannot change a constraint in place) drops the
  // original, which foreign keys would refuse; they are off meanwhile and checked before each
  // commit instead. The pragma is a no-op inside a transaction, so it is set outside.
  if (auto ok = db.exec("PRAGMA foreign_keys = OFF"); !ok) return ok;
  Result<void> outcome;
  for (int v = *version; v < target && outcome; ++v) {
    const std::string sql = std::string("BEGIN IMMEDIATE;\n") + kMigrations[v] +
                            "\nPRAGMA user_version = " + std::to_string(v + 1) + ";";
    auto ok = db.exec(sql);
    if (ok) ok = foreign_keys_hold(db);
    if (ok) ok = db.exec("COMMIT");
    if (!ok) {
      (void)db.exec("ROLLBACK");
      outcome = fail("migration " + std::to_string(v + 1) + " failed: " + ok.error().message);
    }
  }
  if (auto ok = db.exec("PRAGMA foreign_keys = ON"); !ok && outcome) return ok;
  return outcome;
}

}  // namespace juanie::daemon::store
