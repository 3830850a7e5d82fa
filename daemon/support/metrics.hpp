#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace juanie::daemon {

// The daemon's Prometheus metrics (prometheus-cpp registry, text exposition format).
class Metrics {
 public:
  Metrics();
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
  void set_deployments(const std::map<std::string, std::int64_t>& by_state);
  void set_outbox_pending(std::int64_t messages);
  // A refused /approve/ request. reason: invalid_link (fails verification: counted and
  // rate-limit logged, never stored), expired, bad_form, wrong_deployment.
  void approval_refused(std::string_view reason);

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
