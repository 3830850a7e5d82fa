#include "daemon/http/message.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "pipelines/encoding.hpp"

namespace juanie::daemon::http {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = pipelines::hex_digit(s[i + 1]);
      const int lo = pipelines::hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::optional<std::string> Request::query(std::string_view name) const {
  std::string_view t = target;
  const auto q = t.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = t.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key != name) continue;
    return percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }
  return std::nullopt;
}

Response json_response(int status, std::string body) {
  body.push_back('\n');
  return Response{status, "application/json", std::move(body), {}};
}

Response text_response(int status, std::string body) {
  return Response{status, "text/plain; charset=utf-8", std::move(body), {}};
}

Response error_response(int status, std::string_view message) {
  boost::json::object o;
  o["error"] = message;
  return json_response(status, boost::json::serialize(o));
}

}  // namespace juanie::daemon::http
