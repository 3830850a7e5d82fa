#pragma once

#include <string>
#include <utility>
#include <vector>

#include "daemon/http/message.hpp"

namespace juanie::daemon {

// A request as the forge sends it: a body and its headers.
inline http::Request with(std::string body,
                          std::vector<std::pair<std::string, std::string>> headers) {
  http::Request r;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

}  // namespace juanie::daemon
