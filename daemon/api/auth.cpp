#include "daemon/api/auth.hpp"

#include "daemon/crypto.hpp"

namespace juanie::daemon::api {

std::optional<std::string> authenticate(const http::Request& request,
                                        const std::vector<config::ApiToken>& tokens) {
  auto header = request.header("Authorization");
  if (!header) return std::nullopt;
  constexpr std::string_view kScheme = "Bearer ";
  if (header->size() <= kScheme.size() ||
      !http::iequals(header->substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  const Digest sent = sha256(header->substr(kScheme.size()));
  std::optional<std::string> match;
  for (const auto& token : tokens) {
    if (constant_time_equal(sent, token.sha256) && !match) match = token.name;
  }
  return match;
}

}  // namespace juanie::daemon::api
