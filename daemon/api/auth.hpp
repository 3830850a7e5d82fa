#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/config/daemon_config.hpp"
#include "daemon/http/message.hpp"

namespace juanie::daemon::api {

// The name of the configured token whose SHA-256 matches the request's bearer token, or
// nullopt. Every configured digest is compared, in constant time.
std::optional<std::string> authenticate(const http::Request& request,
                                        const std::vector<config::ApiToken>& tokens);

}  // namespace juanie::daemon::api
