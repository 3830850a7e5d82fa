#pragma once

#include <cstdint>
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

// Cancels a run: 202 "cancelling" when it runs here (its executor ends it), else the store
// marks it cancelled (200), or refuses a run that already ended (409).
void cancel_run(const RouteDeps& deps, std::int64_t run, const std::string& who, http::Reply reply);

// Queues a new run of the same commit (202), from its first failed step when `from_failed`.
void retry_run(const RouteDeps& deps, const store::RunRecord& run, bool from_failed,
               const std::string& who, http::Reply reply);

// POST /api/v1/projects/{project}/runs: a manual run of a ref's head (start_run.cpp).
void start_run(const RouteDeps& deps, const http::Request& request, const config::ApiToken& caller,
               http::Reply reply);

}  // namespace juanie::daemon::api
