#include "daemon/api/paging.hpp"

#include <charconv>

namespace juanie::daemon::api {
namespace {

std::optional<std::int64_t> whole_number(std::string_view text) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return n;
}

}  // namespace

Result<Page> parse_page(const http::Request& request) {
  Page page;
  if (auto text = request.query("limit")) {
    const auto n = whole_number(*text);
    if (!n || *n < 1 || *n > kMaxPageSize) {
      return fail("limit must be a number from 1 to " + std::to_string(kMaxPageSize));
    }
    page.limit = static_cast<int>(*n);
  }
  if (auto text = request.query("before")) {
    const auto n = whole_number(*text);
    if (!n || *n < 1) return fail("before must be a positive id, as a page's \"next\" gives it");
    page.before = *n;
  }
  return page;
}

}  // namespace juanie::daemon::api
