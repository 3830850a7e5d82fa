#pragma once

#include <string>
#include <string_view>

namespace juanie::pipelines {

// How much of a repository's history its mirror holds: a project whose history is the heavy
// part asks for a shallow mirror (`depth`: the last N commits of each ref) or a partial one
// (`filter`: blobs are fetched only for the commits that run).
struct FetchShape {
  int depth = 0;       // 0: the whole history
  std::string filter;  // "": every object; "blob:none" or "blob:limit=<n>[kmg]"

  bool whole() const { return depth == 0 && filter.empty(); }
  bool operator==(const FetchShape&) const = default;
};

inline constexpr int kMaxFetchDepth = 1'000'000;

// Whether `filter` is one git accepts that leaves every tree in the mirror (the daemon lists a
// commit's missing blobs from its trees and fetches them in one batch): blob:none or
// blob:limit=<n> with an optional k, m or g. tree:<depth> and sparse:oid are refused.
bool valid_fetch_filter(std::string_view filter);

// What the mirror remembers of how it was made ("depth=50 filter=blob:none", "" when whole):
// a project that changes its shape gets a new mirror instead of a mixed one.
std::string describe(const FetchShape& shape);

}  // namespace juanie::pipelines
