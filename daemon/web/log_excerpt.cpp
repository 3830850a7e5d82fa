#include "daemon/web/log_excerpt.hpp"

#include <fstream>

#include "daemon/api/log_tail.hpp"

namespace juanie::daemon::web {

LogExcerpt read_log_tail(const std::string& path, std::uint64_t max) {
  LogExcerpt e;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return e;
  const auto end = in.tellg();
  if (end < 0) return e;
  e.size = static_cast<std::uint64_t>(end);
  const std::uint64_t from = e.size > max ? e.size - max : 0;
  in.seekg(static_cast<std::streamoff>(from));
  e.text.resize(static_cast<std::size_t>(e.size - from));
  in.read(e.text.data(), static_cast<std::streamsize>(e.text.size()));
  e.text.resize(static_cast<std::size_t>(in.gcount()));
  std::size_t skip = 0;
  if (from > 0) {
    // The byte before the tail: a line end there means the tail already starts a line.
    in.clear();
    in.seekg(static_cast<std::streamoff>(from - 1));
    const bool line_start = in.get() == '\n';
    if (!line_start) skip = api::clean_start(e.text);
  }
  e.text.erase(0, skip);
  e.left_out = from + skip;
  return e;
}

}  // namespace juanie::daemon::web
