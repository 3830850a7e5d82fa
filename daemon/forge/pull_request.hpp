#pragma once

#include <string_view>

#include "daemon/forge/event.hpp"

namespace juanie::daemon {

// The body of a GitHub or Gitea/Forgejo `pull_request` or a GitLab `Merge Request Hook`
// delivery. Actions that bring new code become kRun, closes and merges kClose, the rest
// kIgnore with the reason. A body that is not JSON, or that asks for a run without a number,
// a head commit id or valid branch names, is an error naming the field.
Result<PullRequestEvent> parse_pull_request(Forge forge, std::string_view body);

}  // namespace juanie::daemon
