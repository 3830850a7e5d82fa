#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "daemon/http/message.hpp"
#include "daemon/store/reader.hpp"

namespace juanie::daemon::api {

// `GET /api/v1/runs/{id}/log?follow=1`: the run's step logs as they grow, each step behind a
// header line, until the run has ended and every log is read to its end.
class LogFollower final : public http::ResponseStream {
 public:
  LogFollower(store::Reader& reader, std::int64_t run) : reader_(reader), run_(run) {}
  std::optional<std::string> next() override;

 private:
  std::string read_new();

  store::Reader& reader_;
  std::int64_t run_;
  struct Progress {
    bool opened = false;  // its header was sent
    bool closed = false;  // its outcome line was sent
    std::uint64_t offset = 0;
  };
  std::map<int, Progress> progress_;  // by step index
  bool ended_ = false;
};

// The step header line shared by the plain and the followed log.
std::string step_header(const std::string& name, const std::string& state,
                        const std::optional<std::string>& reason);

}  // namespace juanie::daemon::api
