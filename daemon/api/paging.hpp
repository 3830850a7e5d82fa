#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/http/message.hpp"
#include "pipelines/error.hpp"

namespace juanie::daemon::api {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// One page of a list that is newest first by id: at most `limit` items whose id is below
// `before` (all, when absent). Keyset paging: a row inserted while a client walks the pages
// lands above the first page and shifts nothing it has yet to read.
struct Page {
  int limit = kDefaultPageSize;
  std::optional<std::int64_t> before;
};

// ?limit=N (1 to 1000, default 100) and ?before=ID (a positive id, as a page's `next` gives
// it) of a list request, or the message a 400 answer carries.
Result<Page> parse_page(const http::Request& request);

// Readers fetch limit + 1 rows: the extra one says a next page exists. Drops it and returns
// the cursor of the next page (the last kept id), or nullopt on the last page.
template <typename Record>
std::optional<std::int64_t> cut_page(std::vector<Record>& rows, const Page& page) {
  if (rows.size() <= static_cast<std::size_t>(page.limit)) return std::nullopt;
  rows.resize(static_cast<std::size_t>(page.limit));
  return rows.back().id;
}

}  // namespace juanie::daemon::api
