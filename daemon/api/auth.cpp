#include "daemon/api/auth.hpp"

#include "daemon/support/crypto.hpp"

namespace juanie::daemon::api {

const config::ApiToken* authenticate(const http::Request& request,
                                     const std::vector<config::ApiToken>& tokens) {
  auto header = request.header("Authorization");
  if (!header) return nullptr;
  constexpr std::string_view kScheme = "Bearer ";
  if (header->size() <= kScheme.size() ||
      !http::iequals(header->substr(0, kScheme.size()), kScheme)) {
    return nullptr;
  }
  const Digest sent = sha256(header->substr(kScheme.size()));
  const config::ApiToken* match = nullptr;
  for (const auto& token : tokens) {
    if (constant_time_equal(sent, token.sha256) && !match) match = &token;
  }
  return match;
}

}  // namespace juanie::daemon::api
