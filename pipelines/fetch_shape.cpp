#include "pipelines/fetch_shape.hpp"

#include <algorithm>

namespace juanie::pipelines {

bool valid_fetch_filter(std::string_view filter) {
  if (filter == "blob:none") return true;
  constexpr std::string_view kLimit = "blob:limit=";
  if (!filter.starts_with(kLimit)) return false;
  std::string_view n = filter.substr(kLimit.size());
  if (!n.empty() && (n.back() == 'k' || n.back() == 'm' || n.back() == 'g')) n.remove_suffix(1);
  return !n.empty() && n.size() <= 12 &&
         std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string describe(const FetchShape& shape) {
  std::string out;
  if (shape.depth > 0) out = "depth=" + std::to_string(shape.depth);
  if (!shape.filter.empty()) out += (out.empty() ? "" : " ") + ("filter=" + shape.filter);
  return out;
}

}  // namespace juanie::pipelines
