#include "runner/known_hosts.hpp"

#include <sstream>

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

std::string base64_decode(std::string_view text, bool& ok) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (text.ends_with('=')) text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) {
      ok = false;
      return {};
    }
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  ok = text.size() % 4 != 1;
  return ok ? out : std::string();
}

bool known_host_key(std::string_view known_hosts, std::string_view host, std::string_view key) {
  if (key.empty()) return false;
  std::istringstream lines{std::string(known_hosts)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string hosts, type, blob;
    if (!(fields >> hosts >> type >> blob)) continue;
    if (hosts.starts_with('#') || hosts.starts_with('@') || hosts.starts_with('|')) continue;
    if (!host_matches(hosts, host)) continue;
    bool ok = true;
    const std::string decoded = base64_decode(blob, ok);
    if (ok && decoded == key) return true;
  }
  return false;
}

}  // namespace juanie::runner
