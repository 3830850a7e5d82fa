#include "daemon/api/health_handlers.hpp"

#include "daemon/runs/run_observer.hpp"
#include "daemon/store/approvals.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/outbox.hpp"
#include "daemon/store/runs.hpp"

namespace juanie::daemon::api {

http::Response healthz() {
  return http::json_response(200, R"({"status":"ok"})");
}

void readyz(const RouteDeps& deps, Readiness& readiness, http::Reply reply) {
  // Low disk first (runs wait then; webhooks are still stored), then the store.
  if (auto why = deps.not_ready ? deps.not_ready() : std::nullopt) {
    return reply(http::error_response(503, *why));
  }
  readiness.check([reply = std::move(reply)](std::optional<std::string> why_not) {
    if (why_not) return reply(http::error_response(503, *why_not));
    reply(http::json_response(200, R"({"ready":true})"));
  });
}

http::Response metrics(const RouteDeps& deps) {
  auto counts =
      deps.reader.with([](store::Database& db) { return store::count_runs_by_state(db); });
  if (counts) deps.metrics.set_runs(*counts);
  auto deployments =
      deps.reader.with([](store::Database& db) { return store::count_deployments(db); });
  if (deployments) deps.metrics.set_deployments(*deployments);
  auto outbox =
      deps.reader.with([](store::Database& db) { return store::count_pending_messages(db); });
  if (outbox) deps.metrics.set_outbox_pending(*outbox);
  const auto now = deps.clock.now();
  auto approvals =
      deps.reader.with([](store::Database& db) { return store::approvals_waiting(db); });
  if (approvals) {
    deps.metrics.set_approvals_pending(approvals->deployments,
                                       seconds_since(approvals->oldest_since, now));
  }
  auto oldest =
      deps.reader.with([](store::Database& db) { return store::oldest_pending_message(db); });
  if (oldest) deps.metrics.set_outbox_oldest_age(seconds_since(*oldest, now));
  deps.metrics.set_store_pending(deps.writer.pending());
  http::Response r = http::text_response(200, deps.metrics.render());
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace juanie::daemon::api
