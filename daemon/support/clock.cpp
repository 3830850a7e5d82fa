#include "daemon/support/clock.hpp"

#include <cstdio>
#include <ctime>

namespace juanie::daemon {

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  const std::string copy(text);
  std::tm tm{};
  const char* end = copy.size() == 20 ? strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) : nullptr;
  const auto t = std::chrono::system_clock::from_time_t(end && *end == '\0' ? timegm(&tm) : 0);
  // strptime takes single digits and timegm rolls 31 February over: only the canonical text
  // of a time is one.
  if (!end || *end != '\0' || rfc3339(t) != copy) {
    return fail(ErrorKind::kInvalid,
                "\"" + copy + "\" is not an RFC 3339 UTC time such as 2026-11-27T13:36:20Z");
  }
  return t;
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

}  // namespace juanie::daemon
