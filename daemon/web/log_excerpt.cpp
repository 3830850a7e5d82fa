#include "daemon/web/log_excerpt.hpp"

#include <filesystem>
#include <fstream>

#include "daemon/api/log_tail.hpp"

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
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string text(length, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    return text;
  });
}

}  // namespace juanie::daemon::web
