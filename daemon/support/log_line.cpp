#include "daemon/support/log_line.hpp"

#include <array>

namespace juanie::daemon {
namespace {

bool plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '/' || c == ':' || c == '@' || c == '+';
}

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "error";
}

void append_key(std::string& line, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  line.push_back(' ');
  line.append(key).push_back('=');
  line.append(logfmt_value(value));
}

}  // namespace

std::string logfmt_value(std::string_view value) {
  bool bare = !value.empty();
  for (char c : value) bare = bare && plain(c);
  if (bare) return std::string(value);
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('"');
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (byte < 0x20 || byte == 0x7f) {
      out.append("\\x");
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string mask_url_credentials(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t done = 0;
  for (auto scheme = text.find("://"); scheme != std::string_view::npos;
       scheme = text.find("://", scheme + 3)) {
    const std::size_t start = scheme + 3;
    // The authority ends at the first character that cannot be in it.
    std::size_t end = start;
    while (end < text.size() && text[end] != '/' && text[end] != ' ' && text[end] != '"' &&
           text[end] != '\'' && text[end] != '?' && text[end] != '#' &&
           static_cast<unsigned char>(text[end]) > 0x20) {
      ++end;
    }
    const auto authority = text.substr(start, end - start);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) continue;
    // Over HTTP(S) a token works as the user name too: all of the userinfo goes.
    const auto name_start = text.find_last_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-", scheme - 1);
    const auto scheme_name =
        text.substr(name_start == std::string_view::npos ? 0 : name_start + 1,
                    scheme - (name_start == std::string_view::npos ? 0 : name_start + 1));
    const bool web = scheme_name == "http" || scheme_name == "https";
    const auto colon = authority.substr(0, at).find(':');
    if (web) {
      out.append(text.substr(done, start - done)).append("***");
    } else if (colon != std::string_view::npos) {
      out.append(text.substr(done, start + colon + 1 - done)).append("***");
    } else {
      continue;
    }
    done = start + at;
  }
  out.append(text.substr(done));
  return out;
}

std::string format_log_line(LogLevel level, const LogKeys& keys, std::string_view message) {
  std::string line = "juanie: level=";
  line.append(level_name(level));
  if (keys.run) append_key(line, "run", std::to_string(*keys.run));
  if (keys.deployment) append_key(line, "deployment", std::to_string(*keys.deployment));
  append_key(line, "project", keys.project);
  append_key(line, "environment", keys.environment);
  append_key(line, "delivery", keys.delivery);
  line.append(" msg=").append(logfmt_value(mask_url_credentials(message)));
  line.push_back('\n');
  return line;
}

}  // namespace juanie::daemon
