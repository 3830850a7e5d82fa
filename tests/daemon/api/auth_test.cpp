#include "daemon/api/auth.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::api {
namespace {

std::vector<config::ApiToken> tokens() {
  return {{"ops", sha256("ops-token"), "alice"}, {"ci", sha256("ci-token"), ""}};
}

std::optional<std::string> name_of(const config::ApiToken* token) {
  return token ? std::optional(token->name) : std::nullopt;
}

http::Request bearer(const std::string& value) {
  http::Request r;
  r.headers = {{"Authorization", value}};
  return r;
}

TEST(ApiAuth, AcceptsOnlyTokensWhoseDigestIsConfigured) {
  EXPECT_EQ(name_of(authenticate(bearer("Bearer ops-token"), tokens())), "ops");
  EXPECT_EQ(name_of(authenticate(bearer("bearer ci-token"), tokens())), "ci");
  EXPECT_EQ(name_of(authenticate(bearer("Bearer ops-tokeN"), tokens())), std::nullopt);
  EXPECT_EQ(name_of(authenticate(bearer("Bearer "), tokens())), std::nullopt);
  EXPECT_EQ(name_of(authenticate(bearer("Basic b3BzOm9wcy10b2tlbg=="), tokens())), std::nullopt);
  EXPECT_EQ(name_of(authenticate(http::Request{}, tokens())), std::nullopt);
  EXPECT_EQ(name_of(authenticate(bearer("Bearer ops-token"), {})), std::nullopt);
}

}  // namespace
}  // namespace juanie::daemon::api
