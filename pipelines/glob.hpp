#pragma once

#include <string_view>

namespace juanie::pipelines {

// Branch and tag globs: `*` matches within one path segment, `**` across segments, `?` one
// character other than `/`. Everything else is literal. Linear in pattern × text, so a
// hostile branch name cannot make matching slow.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace juanie::pipelines
