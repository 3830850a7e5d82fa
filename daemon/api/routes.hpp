#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "daemon/api/readiness.hpp"
#include "daemon/approvals/approval_desk.hpp"
#include "daemon/approvals/approval_flow.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_registry.hpp"
#include "daemon/forge/forge.hpp"
#include "daemon/http/server.hpp"
#include "daemon/runs/manual_run.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "daemon/support/metrics.hpp"

namespace juanie::daemon {

// Everything the request handlers use, owned by the composition root.
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
};

// Dispatches requests to the webhook, API and operations handlers.
class Routes {
 public:
  explicit Routes(RouteDeps deps)
      : deps_(std::move(deps)),
        readiness_(deps_.writer, deps_.reader, [this] { return rfc3339(deps_.clock.now()); }) {}

  void handle(http::Request request, http::Reply reply);
  // Once a request's header is read, before its body: the answer to a request that no body
  // can make right (no such endpoint or project, wrong method, no valid bearer token or
  // approval link), else nullopt. The server then answers without reading the body.
  std::optional<http::Response> screen(const http::Request& head);
  // For the server's own refusals (413, 431): counted and logged like the handlers' answers.
  void refused(int status, std::string_view target, std::string_view remote);

 private:
  void webhook(Forge forge, std::string_view project, http::Request request, http::Reply reply);
  void readyz(http::Reply reply);
  http::Response metrics();
  void api(const http::Request& request, http::Reply reply);
  http::Response run_log(std::int64_t run);
  void deployments(const http::Request& request, const config::ApiToken& caller, http::Reply reply);
  // trigger (pending → awaiting approval or running) or cancel (a waiting one), by a token
  // (`who`) and the person it belongs to.
  void change_deployment(std::int64_t id, const std::string& action, const std::string& who,
                         const std::string& person, http::Reply reply);
  http::Response approvals_list(const http::Request& request);
  // POST /api/v1/projects/{project}/runs: a manual run of a ref's head (start_run.cpp).
  void start_run(const http::Request& request, const config::ApiToken& caller, http::Reply reply);
  void cancel_run(std::int64_t run, const std::string& who, http::Reply reply);
  void retry_run(const store::RunRecord& run, bool from_failed, const std::string& who,
                 http::Reply reply);

  RouteDeps deps_;
  Readiness readiness_;
};

}  // namespace juanie::daemon
