#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/config/daemon_config.hpp"
#include "daemon/http/message.hpp"

namespace juanie::daemon::api {

// The configured token whose SHA-256 matches the request's bearer token (an element of
// `tokens`), or nullptr. Every configured digest is compared, in constant time.
const config::ApiToken* authenticate(const http::Request& request,
                                     const std::vector<config::ApiToken>& tokens);

}  // namespace juanie::daemon::api
