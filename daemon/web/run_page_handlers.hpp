#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/api/route_deps.hpp"
#include "daemon/http/message.hpp"
#include "daemon/web/pages.hpp"
#include "pipelines/error.hpp"

namespace juanie::daemon::web {

// The runs' part of the status page:
//   GET  /runs/{id}             the run, its steps and their logs (sign-in form without a session)
//   GET  /runs/{id}/events      its log as Server-Sent Events while it runs (run_events.hpp)
//   POST /runs/{id}/cancel      the session's CSRF value in the form, else 403
//   POST /runs/{id}/retry       the same; `from=failed` resumes from the failed step
//   GET  /runs/table            the run list's table, for the page's script
//   GET  /assets/juanie.js      the page's script (no session needed: it holds nothing)
bool is_run_page_path(std::string_view path);
void run_pages(const RouteDeps& deps, const http::Request& req, http::Reply reply);

// The newest runs as the list at / shows them.
Result<std::vector<RunRow>> recent_runs(const RouteDeps& deps);

}  // namespace juanie::daemon::web
