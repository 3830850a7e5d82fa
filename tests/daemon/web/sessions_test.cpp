#include "daemon/web/sessions.hpp"

#include <gtest/gtest.h>

#include "daemon/support/crypto.hpp"
#include "daemon/web/page_handlers.hpp"

namespace juanie::daemon::web {
namespace {

using namespace std::chrono_literals;
const auto t0 = std::chrono::system_clock::time_point{} + 1000h;

TEST(Sessions, ASessionIsFoundByItsIdUntilItExpiresOrIsClosed) {
  OpenSslRandom random;
  Sessions sessions(random, 12h);
  auto a = sessions.open("ci", "alice", t0);
  auto b = sessions.open("ops", "", t0);
  EXPECT_EQ(a.id.size(), 64u);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.session.csrf, b.session.csrf);
  ASSERT_TRUE(sessions.find(a.id, t0 + 11h));
  EXPECT_EQ(sessions.find(a.id, t0 + 11h)->person, "alice");
  EXPECT_EQ(sessions.find(a.id, t0 + 11h)->csrf, a.session.csrf);
  EXPECT_FALSE(sessions.find(a.id, t0 + 12h)) << "expired";
  EXPECT_FALSE(sessions.find(a.id, t0)) << "an expired session does not come back";
  sessions.close(b.id);
  EXPECT_FALSE(sessions.find(b.id, t0));
  EXPECT_FALSE(sessions.find("", t0));
  EXPECT_FALSE(sessions.find(a.session.csrf, t0)) << "a CSRF value is no session id";
}

TEST(Sessions, TheyAreBoundedTheOneNearestToExpiryGoesFirst) {
  OpenSslRandom random;
  Sessions sessions(random, 1h, 3);
  auto first = sessions.open("a", "", t0);
  auto second = sessions.open("b", "", t0 + 1min);
  sessions.open("c", "", t0 + 2min);
  sessions.open("d", "", t0 + 3min);
  EXPECT_EQ(sessions.size(), 3u);
  EXPECT_FALSE(sessions.find(first.id, t0 + 3min));
  EXPECT_TRUE(sessions.find(second.id, t0 + 3min));
}

TEST(CookieValue, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(cookie_value("juanie_session=abc", "juanie_session"), "abc");
  EXPECT_EQ(cookie_value("a=1; juanie_session=abc; b=2", "juanie_session"), "abc");
  EXPECT_EQ(cookie_value("xjuanie_session=abc; juanie_sessionx=d", "juanie_session"), "");
  EXPECT_EQ(cookie_value("", "juanie_session"), "");
  EXPECT_EQ(cookie_value("juanie_session", "juanie_session"), "");
}

}  // namespace
}  // namespace juanie::daemon::web
