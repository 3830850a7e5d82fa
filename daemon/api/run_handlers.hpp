#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "daemon/api/route_deps.hpp"
#include "daemon/http/server.hpp"
#include "daemon/store/runs.hpp"

namespace juanie::daemon::api {

// GET /api/v1/runs[?project=P][&limit=N][&before=ID]: a page of runs, newest first.
void list_runs(const RouteDeps& deps, const http::Request& request, http::Reply reply);

// /api/v1/runs/{id}[/log|/cancel|/retry]: finds the run (404 when there is none), then
// answers GET (the run), GET log[?follow=1], POST cancel or POST retry[?from=failed].
void run_item(const RouteDeps& deps, const http::Request& request, const config::ApiToken& caller,
              http::Reply reply);

// The run's step logs as one text, each under its step's heading.
http::Response run_log(const RouteDeps& deps, std::int64_t run);

// What a cancel or a retry did: the run it concerns (a retry's new one) and its state, or the
// refusal's HTTP status and message. The API answers it as JSON, the status page as a page.
struct RunAction {
  int status = 200;
  std::int64_t run = 0;
  std::optional<std::int64_t> retry_of;  // set for a retry
  std::string state;
  std::string error;  // set when refused
};
using RunActionDone = std::function<void(RunAction)>;

// Cancels a run: 202 "cancelling" when it runs here (its executor ends it), else the store
// marks it cancelled (200), or refuses a run that already ended (409). `who` is logged and
// kept in the run's reason.
void cancel_run(const RouteDeps& deps, std::int64_t run, const std::string& who,
                RunActionDone done);

// Queues a new run of the same commit (202), from its first failed step when `from_failed`
// (409 when there is none).
void retry_run(const RouteDeps& deps, const store::RunRecord& run, bool from_failed,
               const std::string& who, RunActionDone done);

// POST /api/v1/projects/{project}/runs: a manual run of a ref's head (start_run.cpp).
void start_run(const RouteDeps& deps, const http::Request& request, const config::ApiToken& caller,
               http::Reply reply);

}  // namespace juanie::daemon::api
