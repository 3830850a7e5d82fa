#include "daemon/api/auth.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::api {
namespace {

std::vector<config::ApiToken> tokens() {
  return {{"ops", sha256("ops-token")}, {"ci", sha256("ci-token")}};
}

http::Request bearer(const std::string& value) {
  http::Request r;
  r.headers = {{"Authorization", value}};
  return r;
}

TEST(ApiAuth, AcceptsOnlyTokensWhoseDigestIsConfigured) {
  EXPECT_EQ(authenticate(bearer("Bearer ops-token"), tokens()), "ops");
  EXPECT_EQ(authenticate(bearer("bearer ci-token"), tokens()), "ci");
  EXPECT_EQ(authenticate(bearer("Bearer ops-tokeN"), tokens()), std::nullopt);
  EXPECT_EQ(authenticate(bearer("Bearer "), tokens()), std::nullopt);
  EXPECT_EQ(authenticate(bearer("Basic b3BzOm9wcy10b2tlbg=="), tokens()), std::nullopt);
  EXPECT_EQ(authenticate(http::Request{}, tokens()), std::nullopt);
  EXPECT_EQ(authenticate(bearer("Bearer ops-token"), {}), std::nullopt);
}

}  // namespace
}  // namespace juanie::daemon::api
