#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipelines/error.hpp"

// Outbound HTTP(S) over libcurl: used by the demo, and by notifications later.
namespace juanie::daemon::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10'000};
  std::string ca_file;  // trust this CA bundle instead of the system's (internal CAs, tests)
  // false: no certificate checks — only for the daemon probing itself over loopback.
  bool verify_tls = true;
  std::size_t max_body = 1 << 20;  // a longer answer fails the request
};

struct ClientResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response

  // Case-insensitive; "" when absent.
  std::string header(std::string_view name) const;
};

// An error only when no HTTP answer arrived (refused, timed out, TLS failure).
Result<ClientResponse> send(const ClientRequest& request);

}  // namespace juanie::daemon::http
