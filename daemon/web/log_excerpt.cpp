#include "daemon/web/log_excerpt.hpp"

#include <filesystem>

#include "daemon/api/log_tail.hpp"
#include "daemon/support/file_range.hpp"

namespace juanie::daemon::web {

LogExcerpt log_tail(std::uint64_t size, std::uint64_t max,
                    const std::function<std::string(std::uint64_t, std::size_t)>& read) {
  LogExcerpt e;
  e.size = size;
  const std::uint64_t from = size > max ? size - max : 0;
  // From the byte before the tail: a line end there means the tail already starts a line.
  const std::uint64_t start = from > 0 ? from - 1 : 0;
  e.text = read(start, static_cast<std::size_t>(size - start));
  std::size_t skip = 0;
  if (from > 0 && !e.text.empty()) {
    const bool line_start = e.text.front() == '\n';
    e.text.erase(0, 1);
    if (!line_start) skip = api::clean_start(e.text);
  }
  e.text.erase(0, skip);
  e.left_out = from + skip;
  return e;
}

LogExcerpt read_log_tail(const std::string& path, std::uint64_t max) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return {};
  return log_tail(size, max, [&](std::uint64_t offset, std::size_t length) {
    return read_file_range(path, offset, length);
  });
}

}  // namespace juanie::daemon::web
