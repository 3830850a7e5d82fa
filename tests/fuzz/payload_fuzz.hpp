#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/forge/event.hpp"
#include "pipelines/ref.hpp"

namespace juanie::fuzz {

// Feeds `data` as the body of a push (and of `other_event`) for `forge` and checks what a
// successful parse promises.
inline void payload(daemon::Forge forge, const char* event_header, const char* push_event,
                    const std::uint8_t* data, std::size_t size) {
  daemon::http::Request req;
  req.body.assign(reinterpret_cast<const char*>(data), size);
  req.headers = {{event_header, push_event}};
  auto event = daemon::parse_event(forge, req);
  if (event && event->kind == daemon::EventKind::kPullRequest) {
    const auto& pr = event->pull_request;
    if (pr.action != daemon::PullRequestAction::kIgnore && pr.number <= 0) std::abort();
    if (pr.action == daemon::PullRequestAction::kRun &&
        (!pipelines::is_object_id(pr.head_sha) || pr.source_branch.empty() ||
         pr.target_branch.empty() || pr.title.size() > 1024 ||
         pr.title.find('\n') != std::string::npos)) {
      std::abort();
    }
  }
  if (event && event->kind == daemon::EventKind::kPush) {
    if (!pipelines::is_object_id(event->push.after) ||
        !pipelines::is_object_id(event->push.before) || event->push.ref.empty() ||
        event->push.commit_message.size() > 4096) {
      std::abort();
    }
  }
}

}  // namespace juanie::fuzz
