#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace juanie::daemon {

// The daemon's Prometheus metrics (prometheus-cpp registry, text exposition format).
class Metrics {
 public:
  // `node`: the build node's name when several share a store; every series then carries it as
  // the label `node` (empty: a daemon alone, no such label).
  explicit Metrics(std::string node = {});
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // result: queued, duplicate, ignored, unauthorized, malformed, unknown_project, too_large,
  // unavailable.
  void webhook(std::string_view forge, std::string_view result);
  void http_request(std::string_view route, int status, double seconds);
  void set_runs(const std::map<std::string, std::int64_t>& by_state);
  void set_store_pending(std::size_t jobs);
  // result: delivered, retry, abandoned.
  void notification(std::string_view sink, std::string_view result);
  // (environment, state) → count; every state of every environment seen or declared is set.
  void set_deployments(const std::map<std::pair<std::string, std::string>, std::int64_t>& counts);
  void set_outbox_pending(std::int64_t messages);
  // A refused /approve/ request. reason: invalid_link (fails verification: counted and
  // rate-limit logged, never stored), expired, bad_form, wrong_deployment.
  void approval_refused(std::string_view reason);

  // Rollouts. result: duplicate (a repeat the hook recognised), applied, stale,
  // unknown_revision, other_environment, no_verdict, unknown_project.
  void flux_event(std::string_view result);
  // A rollout decided: result success or failed, after `seconds` from its GitOps commit.
  void rollout(std::string_view environment, std::string_view result, double seconds);
  // trigger: auto, manual.
  void rollback(std::string_view environment, std::string_view trigger);
  // The environments of the configured projects: their rollout and rollback series start at
  // 0 (at start and each reload), so alerts see zeros, not gaps.
  void declare_environments(const std::vector<std::string>& environments);
  // Operations (issue 12): how long runs wait and take, what waits for people and for the
  // outbox, what the GitOps writer pushed, and which build this is.
  // From a run's creation (queued) to the scheduler starting it.
  void queue_waited(double seconds);
  // result: succeeded, failed, cancelled — from a run's start to its end.
  void run_ended(std::string_view result, double seconds);
  // result: succeeded, failed, cancelled — a step that ran (skipped ones are not observed).
  void step_ended(std::string_view result, double seconds);
  // Read from the store at each scrape; an age is 0 when nothing waits.
  void set_approvals_pending(std::int64_t deployments, double oldest_age_seconds);
  void set_outbox_oldest_age(double seconds);
  // result: pushed, rejected (not a fast-forward: tried again on the new tip, or given up),
  // failed (anything else ended the attempt: the remote, credentials, the file).
  void gitops_push(std::string_view result);

  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace juanie::daemon
