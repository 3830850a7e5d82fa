#pragma once

#include <cstdint>
#include <string>

#include "daemon/api/log_tail.hpp"
#include "daemon/http/message.hpp"

namespace juanie::daemon::api {

// `GET /api/v1/runs/{id}/log?follow=1`: the run's step logs as they grow, each step behind a
// header line, until the run has ended and every log is read to its end.
class LogFollower final : public http::ResponseStream {
 public:
  LogFollower(store::Reader& reader, std::int64_t run, const RunLogBell* bell = nullptr)
      : tail_(reader, run, bell) {}
  std::optional<std::string> next() override;

 private:
  LogTail tail_;
};

// The step header line shared by the plain and the followed log.
std::string step_header(const std::string& name, const std::string& state,
                        const std::optional<std::string>& reason);

}  // namespace juanie::daemon::api
