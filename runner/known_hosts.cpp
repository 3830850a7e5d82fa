#include "runner/known_hosts.hpp"

#include <sstream>

#include "pipelines/encoding.hpp"

namespace juanie::runner {
namespace {

bool host_matches(std::string_view patterns, std::string_view host) {
  std::size_t start = 0;
  while (start <= patterns.size()) {
    std::size_t end = patterns.find(',', start);
    if (end == std::string_view::npos) end = patterns.size();
    std::string_view p = patterns.substr(start, end - start);
    if (p.starts_with('[')) {
      const auto close = p.find("]:");
      if (close != std::string_view::npos) p = p.substr(1, close - 1);
    }
    if (p == host) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

bool known_host_key(std::string_view known_hosts, std::string_view host, std::string_view key) {
  if (key.empty()) return false;
  std::istringstream lines{std::string(known_hosts)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string hosts, type, blob;
    if (!(fields >> hosts >> type >> blob)) continue;
    if (hosts.starts_with('#') || hosts.starts_with('@') || hosts.starts_with('|')) continue;
    if (!host_matches(hosts, host)) continue;
    const auto decoded = pipelines::base64_decode(blob);
    if (decoded && *decoded == key) return true;
  }
  return false;
}

}  // namespace juanie::runner
