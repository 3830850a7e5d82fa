#pragma once

#include <chrono>
#include <string>
#include <variant>

#include "daemon/config/loader.hpp"
#include "daemon/forge/forge.hpp"
#include "daemon/http/message.hpp"
#include "daemon/store/runs.hpp"

namespace juanie::daemon {

// A request refused before anything is stored: 401, 400 or 404.
struct Rejection {
  int status;
  std::string reason;
};

// A verified event that needs no run (ping, a deletion, an unmapped tag, another event type):
// answered 200 so the forge keeps the hook enabled.
struct Ignored {
  std::string delivery;
  std::string reason;
};

// A pull/merge request closed or merged: its queued and running runs (those of `ref`) go.
struct PullRequestClosed {
  std::string delivery;
  std::string project;
  std::string ref;  // refs/pull/N/head, refs/merge-requests/N/head
  std::int64_t number = 0;
  std::string reason;
};

using Intake = std::variant<store::RunRequest, Ignored, Rejection, PullRequestClosed>;

// Everything about a webhook that needs no I/O: the project's secret, the signature (before
// the body is parsed), the delivery id, the event, the branch strategy. `project` is null
// when the URL names no project.
Intake classify_webhook(Forge forge, const http::Request& request,
                        const config::LoadedProject* project,
                        std::chrono::system_clock::time_point now);

}  // namespace juanie::daemon
