#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace juanie::pipelines {

// The tag every pushed image gets: the commit's first 12 hex digits. Long enough that two
// commits do not share it by chance (7 were: a branch could grind a commit onto the tag another
// deployment waits for); the registry keeps it from moving besides (see runner::build_and_push).
inline constexpr std::size_t kCommitTagLength = 12;
std::string commit_tag(std::string_view sha);

// A branch or tag name as an OCI tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}): other characters
// become '-', a leading '.' or '-' becomes '_'. "release/1.2" → "release-1.2". Empty for an
// empty name.
std::string branch_tag(std::string_view branch);

}  // namespace juanie::pipelines
