#pragma once

#include <optional>
#include <string_view>

#include "pipelines/commit_status.hpp"

namespace juanie::daemon {

enum class Forge { kGithub, kGitlab, kGitea };

std::string_view to_string(Forge forge);
std::optional<Forge> parse_forge(std::string_view text);
// Whose commit status API a project's statuses go to.
pipelines::StatusApi status_api(Forge forge);

}  // namespace juanie::daemon
