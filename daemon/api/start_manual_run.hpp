#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "daemon/api/route_deps.hpp"
#include "daemon/runs/manual_run.hpp"
#include "pipelines/error.hpp"

namespace juanie::daemon::api {

// A manual run that was queued (or found already queued or running: not `created`).
struct StartedRun {
  std::int64_t run = 0;
  std::string project;
  std::string ref;
  std::string sha;
  std::optional<std::string> environment;
  bool created = false;
};
using RunStarted = std::function<void(Result<StartedRun>)>;

// Starts a manual run of `ref`'s head in `project_name` for `who`: the ref is resolved off the
// HTTP threads, then the run is stored and queued; `done` gets it, or why not (kNotFound for an
// unknown project or ref, kInvalid for a ref that is neither branch nor tag, kUnavailable when
// the repository cannot be fetched or the store is down). `POST /api/v1/projects/{p}/runs`
// and the status page's form both start runs through it (start_run.cpp).
void start_manual_run(const RouteDeps& deps, const std::string& project_name,
                      const std::string& ref, const Starter& who, RunStarted done);

}  // namespace juanie::daemon::api
