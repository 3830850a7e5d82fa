#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "pipelines/error.hpp"

namespace juanie::daemon {

// Time comes in through this interface so tests can drive it (GitLab's timestamp window,
// approval expiry).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

// RFC 3339 in UTC with second precision: 2026-11-27T13:36:20Z.
std::string rfc3339(std::chrono::system_clock::time_point t);
// The time of such a timestamp, exactly as rfc3339() writes it (no offset other than Z, no
// fraction, a real date: rfc3339() of the result is the text); anything else is a kInvalid
// error quoting the text.
Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);
// The Date: header of a mail: Fri, 27 Nov 2026 13:36:20 +0000 (locale-independent).
std::string rfc5322_date(std::chrono::system_clock::time_point t);

}  // namespace juanie::daemon
