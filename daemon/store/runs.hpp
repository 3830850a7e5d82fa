#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/database.hpp"
#include "pipelines/state_machines.hpp"

namespace juanie::daemon::store {

// A run of a pull/merge request's head commit: what the forge said about the request.
struct PullRequestFields {
  std::int64_t number = 0;
  std::string title;
  std::string source_branch;
  std::string target_branch;
  bool fork = false;            // the head repository is not the project's own
  std::string head_repository;  // where the head commits come from, as the forge names it
};

// What a verified push asks for: a run of `sha` on `ref`, deploying to `environment` if any.
struct RunRequest {
  std::string project;
  std::string forge;
  std::string delivery;  // the forge's delivery id: the idempotency key
  std::string event;
  std::string ref;       // refs/heads/develop
  std::string ref_kind;  // branch | tag
  std::string branch;    // develop (the tag name for tags)
  std::string sha;
  std::optional<std::string> environment;
  std::string deploy_trigger = "push";  // push | manual
  std::string trigger = "push";         // what started the run: push | manual | retry
  std::string pusher;
  std::string sender;
  std::vector<std::string> author_emails;  // the pusher's, the commits' authors and committers
  std::string commit_message;
  std::string commit_author;
  // Set for a pull/merge request: `ref` is then the forge's ref of its head
  // (refs/pull/N/head), `branch` its source branch, and it has no environment.
  std::optional<PullRequestFields> pull_request;
};

struct IntakeOutcome {
  std::int64_t run_id = 0;
  bool created = false;  // false: a redelivery, or the same commit already queued or running
  std::optional<std::string> environment;
};

struct RunRecord {
  std::int64_t id = 0;
  std::string project;
  std::string ref;
  std::string ref_kind;
  std::string branch;
  std::string sha;
  std::optional<std::string> environment;
  std::string deploy_trigger;
  std::string trigger;
  pipelines::RunState state = pipelines::RunState::kQueued;
  std::optional<std::string> reason;
  std::optional<std::string> delivery;
  std::optional<std::string> forge;
  std::optional<std::string> pusher;
  std::optional<std::string> commit_message;
  std::optional<std::string> commit_author;
  std::string created_at;
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
  std::optional<std::int64_t> retry_of;     // the run this one repeats
  std::optional<std::int64_t> resume_from;  // first step index run again; earlier ones reused
  std::optional<std::string> sender;
  std::vector<std::string> author_emails;
  std::optional<std::string> logs_removed_at;  // retention.logs took the step logs
  std::optional<PullRequestFields> pull_request;
};

// What started a run, as pipelines and people see it: pull_request, manual, tag or push.
std::string run_event(const RunRecord& run);

// Inside the caller's transaction: the delivery id already known → its run; the same (project,
// ref, sha) queued or running → that run, remembering this delivery too; otherwise a new
// queued run and its delivery row.
Result<IntakeOutcome> record_push(Database& db, const RunRequest& request, const std::string& now);

// After a pull request's run `newest` was queued: its older queued runs (same project and
// ref) are cancelled as superseded; returns the older ones still running, for the caller to
// stop.
Result<std::vector<std::int64_t>> supersede_pull_request(Database& db, const std::string& project,
                                                         const std::string& ref,
                                                         std::int64_t newest,
                                                         const std::string& now);

// A pull request was closed or merged: its queued runs are cancelled with `reason`; returns
// the ones running, for the caller to stop.
Result<std::vector<std::int64_t>> close_pull_request(Database& db, const std::string& project,
                                                     const std::string& ref,
                                                     const std::string& reason,
                                                     const std::string& now);

// Newest first; with `before`, only runs whose id is below it (the next page's cursor).
Result<std::vector<RunRecord>> list_runs(Database& db, const std::optional<std::string>& project,
                                         int limit,
                                         std::optional<std::int64_t> before = std::nullopt);
Result<std::optional<RunRecord>> find_run(Database& db, std::int64_t id);
Result<std::map<std::string, std::int64_t>> count_runs_by_state(Database& db);
Result<std::int64_t> count_deliveries(Database& db);

// A new queued run repeating `run` (trigger "retry"): whole when `resume_from` is empty,
// otherwise from that step on. Refused while `run` is still queued or running.
Result<std::int64_t> insert_retry(Database& db, std::int64_t run,
                                  std::optional<std::int64_t> resume_from, const std::string& now);

// A small write proving the database accepts writes (readiness).
Result<void> write_probe(Database& db, const std::string& now);

}  // namespace juanie::daemon::store
