#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/approvals/approval_desk.hpp"
#include "daemon/approvals/approval_flow.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_registry.hpp"
#include "daemon/runs/disk_usage.hpp"
#include "daemon/runs/manual_run.hpp"
#include "daemon/store/pg_claims.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "daemon/support/metrics.hpp"
#include "daemon/support/run_log_bell.hpp"
#include "daemon/web/sessions.hpp"

namespace juanie::daemon {

// Everything the request handlers use, owned by the composition root (or by a test). Handlers
// capture it by reference in the store writer's completions, so it outlives their replies.
struct RouteDeps {
  const Clock& clock;
  Log& log;
  Metrics& metrics;
  ProjectRegistry& projects;
  store::Writer& writer;
  store::Reader& reader;
  std::vector<config::ApiToken> api_tokens;
  std::function<void()> on_queued;                   // a new run is in the queue
  std::function<bool(std::int64_t)> cancel_running;  // true when the run was running here
  const approvals::ApprovalFlow& flow;
  const approvals::ApprovalDesk& desk;
  std::function<void()> on_deployments_changed;  // wake the deployment loop and the outbox
  // Why the daemon cannot take on new runs now (low disk): /readyz says so; nullopt: ready.
  std::function<std::optional<std::string>()> not_ready = nullptr;
  // Resolves the refs of POST /api/v1/projects/{p}/runs off the HTTP threads (null: 503).
  ManualRuns* manual_runs = nullptr;
  std::function<void()> on_flux_event = nullptr;  // a Flux event was stored: act on it
  web::Sessions* sessions = nullptr;              // the status page's (null: no page)
  bool secure_cookies = false;  // reached over https (TLS here or at a proxy): Secure, __Host-
  // What each project keeps on disk, for GET /api/v1/projects/{p} (null: not reported).
  const DiskUsage* disk = nullptr;
  // The build nodes sharing the store, for GET /api/v1/nodes (null: not reported).
  std::function<Result<std::vector<store::pg::NodeRecord>>()> nodes = nullptr;
  // Sharing a store: rung when a run's log grew anywhere, so followers read it then (null:
  // followers read at every look, as of a single node's files).
  const RunLogBell* log_bell = nullptr;
};

}  // namespace juanie::daemon
