#include "daemon/support/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <mutex>
#include <set>

namespace juanie::daemon {

struct Metrics::Impl {
  std::string node;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& webhooks =
      prometheus::BuildCounter()
          .Name("juanie_webhooks_total")
          .Help("Webhook deliveries by forge and result")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("juanie_http_requests_total")
          .Help("HTTP requests by route and status code")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& durations =
      prometheus::BuildHistogram()
          .Name("juanie_http_request_duration_seconds")
          .Help("Time from a complete request to its answer, by route")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& runs = prometheus::BuildGauge()
                                                    .Name("juanie_runs")
                                                    .Help("Runs in the store by state")
                                                    .Register(*registry);
  prometheus::Gauge& queue_depth = prometheus::BuildGauge()
                                       .Name("juanie_queue_depth")
                                       .Help("Runs waiting to start (state queued)")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Family<prometheus::Counter>& notifications =
      prometheus::BuildCounter()
          .Name("juanie_notifications_total")
          .Help("Notification send attempts by sink type and result")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& deployments =
      prometheus::BuildGauge()
          .Name("juanie_deployments")
          .Help("Deployments in the store by environment and state")
          .Register(*registry);
  // The environments whose deployment series exist (configured, or found in the store).
  std::mutex environments_mutex;
  std::set<std::string> environments;
  prometheus::Gauge& outbox_pending = prometheus::BuildGauge()
                                          .Name("juanie_outbox_pending")
                                          .Help("Notifications not yet delivered (or given up)")
                                          .Register(*registry)
                                          .Add({});
  prometheus::Family<prometheus::Counter>& approval_refusals =
      prometheus::BuildCounter()
          .Name("juanie_approval_refusals_total")
          .Help("Refused approval requests by reason")
          .Register(*registry);
  prometheus::Gauge& store_pending = prometheus::BuildGauge()
                                         .Name("juanie_store_write_queue")
                                         .Help("Writes waiting for the store's next commit")
                                         .Register(*registry)
                                         .Add({});
  // Rollouts (issue 12's Flux feedback).
  prometheus::Family<prometheus::Counter>& flux_events =
      prometheus::BuildCounter()
          .Name("juanie_flux_events_total")
          .Help("Flux events by what they changed")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& rollouts =
      prometheus::BuildHistogram()
          .Name("juanie_rollout_duration_seconds")
          .Help("From a deployment's GitOps commit to Flux's verdict (or the timeout)")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& rollbacks =
      prometheus::BuildCounter()
          .Name("juanie_rollbacks_total")
          .Help("Rollbacks started, by environment and by whom (auto, manual)")
          .Register(*registry);

  // Operations (issue 12).
  prometheus::Histogram& queue_wait =
      prometheus::BuildHistogram()
          .Name("juanie_queue_wait_seconds")
          .Help("Time from a run's creation (queued) to its start")
          .Register(*registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{1, 5, 15, 30, 60, 120, 300, 600, 1200,
                                                           1800, 3600, 7200});
  prometheus::Family<prometheus::Histogram>& run_durations =
      prometheus::BuildHistogram()
          .Name("juanie_run_duration_seconds")
          .Help("Time from a run's start to its end, by result")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& step_durations =
      prometheus::BuildHistogram()
          .Name("juanie_step_duration_seconds")
          .Help("Time a step ran, by result")
          .Register(*registry);
  prometheus::Gauge& approvals_pending = prometheus::BuildGauge()
                                             .Name("juanie_approvals_pending")
                                             .Help("Deployments awaiting approval")
                                             .Register(*registry)
                                             .Add({});
  prometheus::Gauge& approval_oldest_age =
      prometheus::BuildGauge()
          .Name("juanie_approval_oldest_age_seconds")
          .Help("How long the oldest deployment awaiting approval has waited (0: none waits)")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& outbox_oldest_age =
      prometheus::BuildGauge()
          .Name("juanie_outbox_oldest_age_seconds")
          .Help("Age of the oldest notification not yet delivered nor given up (0: none)")
          .Register(*registry)
          .Add({});
  prometheus::Family<prometheus::Counter>& gitops_pushes =
      prometheus::BuildCounter()
          .Name("juanie_gitops_pushes_total")
          .Help("Pushes to GitOps repositories by result")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& build_info =
      prometheus::BuildGauge()
          .Name("juanie_build_info")
          .Help("Always 1; the labels say which build of juanie serves")
          .Register(*registry);

  static const prometheus::Histogram::BucketBoundaries& duration_buckets() {
    // A step of a second to a build of hours.
    static const prometheus::Histogram::BucketBoundaries kBuckets{1,   5,   10,   30,   60,   120,
                                                                  300, 600, 1200, 1800, 3600, 7200};
    return kBuckets;
  }
  void add_operations_series();
};

void Metrics::Impl::add_operations_series() {
  for (const char* result : {"succeeded", "failed", "cancelled"}) {
    run_durations.Add({{"result", result}}, duration_buckets());
    step_durations.Add({{"result", result}}, duration_buckets());
  }
  for (const char* result : {"pushed", "rejected", "failed"}) {
    gitops_pushes.Add({{"result", result}});
  }
  build_info.Add({{"version", JUANIE_VERSION}, {"compiler", JUANIE_COMPILER}}).Set(1);
}

Metrics::Metrics(std::string node) : impl_(std::make_unique<Impl>()) {
  impl_->node = std::move(node);
  // Every state appears from the start, so dashboards and alerts see zeros, not gaps.
  for (const char* state : {"queued", "running", "succeeded", "failed", "cancelled"}) {
    impl_->runs.Add({{"state", state}}).Set(0);
  }
  for (const char* result : {"duplicate", "applied", "stale", "unknown_revision",
                             "other_environment", "no_verdict", "unknown_project"}) {
    impl_->flux_events.Add({{"result", result}});
  }
  for (const char* reason : {"invalid_link", "expired", "bad_form", "wrong_deployment"}) {
    impl_->approval_refusals.Add({{"reason", reason}});
  }
  // A family without series is left out of the scrape: JuanieOutboxStuck asks for deliveries.
  for (const char* sink : {"webhook", "dingtalk", "slack", "email", "commit_status"}) {
    for (const char* result : {"delivered", "retry", "abandoned"}) {
      impl_->notifications.Add({{"sink", sink}, {"result", result}});
    }
  }
  impl_->add_operations_series();
}

Metrics::~Metrics() = default;

void Metrics::webhook(std::string_view forge, std::string_view result) {
  impl_->webhooks.Add({{"forge", std::string(forge)}, {"result", std::string(result)}}).Increment();
}

void Metrics::http_request(std::string_view route, int status, double seconds) {
  static const prometheus::Histogram::BucketBoundaries kBuckets{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  impl_->requests.Add({{"route", std::string(route)}, {"code", std::to_string(status)}})
      .Increment();
  impl_->durations.Add({{"route", std::string(route)}}, kBuckets).Observe(seconds);
}

void Metrics::set_runs(const std::map<std::string, std::int64_t>& by_state) {
  for (const char* state : {"queued", "running", "succeeded", "failed", "cancelled"}) {
    auto it = by_state.find(state);
    impl_->runs.Add({{"state", state}})
        .Set(it == by_state.end() ? 0.0 : static_cast<double>(it->second));
  }
  auto queued = by_state.find("queued");
  impl_->queue_depth.Set(queued == by_state.end() ? 0.0 : static_cast<double>(queued->second));
}

void Metrics::set_store_pending(std::size_t jobs) {
  impl_->store_pending.Set(static_cast<double>(jobs));
}

void Metrics::notification(std::string_view sink, std::string_view result) {
  impl_->notifications.Add({{"sink", std::string(sink)}, {"result", std::string(result)}})
      .Increment();
}

namespace {
constexpr const char* kDeploymentStates[] = {"pending",     "awaiting_approval", "running",
                                             "deploying",   "success",           "failed",
                                             "rolled_back", "cancelled"};
}  // namespace

void Metrics::set_deployments(
    const std::map<std::pair<std::string, std::string>, std::int64_t>& counts) {
  std::lock_guard lock(impl_->environments_mutex);
  for (const auto& [key, n] : counts) impl_->environments.insert(key.first);
  for (const auto& env : impl_->environments) {
    for (const char* state : kDeploymentStates) {
      auto it = counts.find({env, state});
      impl_->deployments.Add({{"environment", env}, {"state", state}})
          .Set(it == counts.end() ? 0.0 : static_cast<double>(it->second));
    }
  }
}

void Metrics::set_outbox_pending(std::int64_t messages) {
  impl_->outbox_pending.Set(static_cast<double>(messages));
}

void Metrics::approval_refused(std::string_view reason) {
  impl_->approval_refusals.Add({{"reason", std::string(reason)}}).Increment();
}

namespace {
const prometheus::Histogram::BucketBoundaries kRolloutBuckets{5,   15,  30,   60,   120,
                                                              300, 600, 1200, 1800, 3600};
}  // namespace

void Metrics::flux_event(std::string_view result) {
  impl_->flux_events.Add({{"result", std::string(result)}}).Increment();
}

void Metrics::rollout(std::string_view environment, std::string_view result, double seconds) {
  static const prometheus::Histogram::BucketBoundaries kBuckets{5,   15,  30,   60,   120,
                                                                300, 600, 1200, 1800, 3600};
  impl_->rollouts
      .Add({{"environment", std::string(environment)}, {"result", std::string(result)}}, kBuckets)
      .Observe(seconds);
}

void Metrics::declare_environments(const std::vector<std::string>& environments) {
  std::lock_guard lock(impl_->environments_mutex);
  for (const auto& env : environments) {
    impl_->environments.insert(env);
    for (const char* state : kDeploymentStates) {
      impl_->deployments.Add({{"environment", env}, {"state", state}});
    }
    for (const char* result : {"success", "failed"}) {
      impl_->rollouts.Add({{"environment", env}, {"result", result}}, kRolloutBuckets);
    }
    for (const char* trigger : {"auto", "manual"}) {
      impl_->rollbacks.Add({{"environment", env}, {"trigger", trigger}});
    }
  }
}

void Metrics::rollback(std::string_view environment, std::string_view trigger) {
  impl_->rollbacks
      .Add({{"environment", std::string(environment)}, {"trigger", std::string(trigger)}})
      .Increment();
}

void Metrics::queue_waited(double seconds) {
  impl_->queue_wait.Observe(seconds);
}

void Metrics::run_ended(std::string_view result, double seconds) {
  impl_->run_durations.Add({{"result", std::string(result)}}, Impl::duration_buckets())
      .Observe(seconds);
}

void Metrics::step_ended(std::string_view result, double seconds) {
  impl_->step_durations.Add({{"result", std::string(result)}}, Impl::duration_buckets())
      .Observe(seconds);
}

void Metrics::set_approvals_pending(std::int64_t deployments, double oldest_age_seconds) {
  impl_->approvals_pending.Set(static_cast<double>(deployments));
  impl_->approval_oldest_age.Set(oldest_age_seconds);
}

void Metrics::set_outbox_oldest_age(double seconds) {
  impl_->outbox_oldest_age.Set(seconds);
}

void Metrics::gitops_push(std::string_view result) {
  impl_->gitops_pushes.Add({{"result", std::string(result)}}).Increment();
}

std::string Metrics::render() const {
  auto families = impl_->registry->Collect();
  if (!impl_->node.empty()) {
    // Added at the scrape, not to each family: one place, and no series can miss it.
    for (auto& family : families) {
      for (auto& metric : family.metric) metric.label.push_back({"node", impl_->node});
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace juanie::daemon
