#pragma once

#include <optional>
#include <string_view>

namespace juanie::daemon {

enum class Forge { kGithub, kGitlab, kGitea };

std::string_view to_string(Forge forge);
std::optional<Forge> parse_forge(std::string_view text);

}  // namespace juanie::daemon
