// The status page's sign-in over real HTTP: without a session only the sign-in form is
// served; a token from api_tokens opens a session whose cookie no script and no other site
// can use; signing out needs the session's own form.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>

#include "integration/browser_script.hpp"
#include "integration/daemon_fixture.hpp"

namespace juanie::test {
namespace {

const std::vector<std::pair<std::string, std::string>> kForm{
    {"Content-Type", "application/x-www-form-urlencoded"}};

std::string csrf_of(const std::string& html) {
  const std::string marker = "name=\"csrf\" value=\"";
  const auto at = html.find(marker);
  if (at == std::string::npos) return "";
  const auto start = at + marker.size();
  return html.substr(start, html.find('"', start) - start);
}

TEST(StatusPage, OnlyASignedInPersonSeesRunsAndSignOutNeedsTheSessionsForm) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", std::string(40, 'a'));
  ASSERT_EQ(
      d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "page-1")).status,
      202);

  // A stranger gets the sign-in form and nothing of the runs.
  auto anonymous = d.request("GET", "/");
  ASSERT_EQ(anonymous.status, 200) << anonymous.body;
  EXPECT_NE(anonymous.body.find("<form method=\"post\" action=\"/sign-in\">"), std::string::npos);
  EXPECT_EQ(anonymous.body.find("shop-api"), std::string::npos) << anonymous.body;
  EXPECT_NE(anonymous.header("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  auto forged = d.request("GET", "/", "", {{"Cookie", "juanie_session=" + std::string(64, 'f')}});
  EXPECT_EQ(forged.body.find("shop-api"), std::string::npos);

  auto wrong = d.request("POST", "/sign-in", "token=not-a-token", kForm);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.header("Set-Cookie"), "");
  EXPECT_NE(wrong.body.find("is not one of the daemon&#39;s api_tokens"), std::string::npos);

  auto signed_in = d.request("POST", "/sign-in", std::string("token=") + kApiToken, kForm);
  ASSERT_EQ(signed_in.status, 303) << signed_in.body;
  EXPECT_EQ(signed_in.header("Location"), "/");
  const std::string set_cookie = signed_in.header("Set-Cookie");
  ASSERT_TRUE(set_cookie.starts_with("juanie_session=")) << set_cookie;
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Path=/"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Max-Age=43200"), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << "plain HTTP: " << set_cookie;
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  EXPECT_EQ(d.log().find(cookie.substr(15)), std::string::npos) << "the session id is not logged";

  auto home = d.request("GET", "/", "", {{"Cookie", cookie}});
  ASSERT_EQ(home.status, 200);
  EXPECT_NE(home.body.find("Signed in as <strong>tests</strong>"), std::string::npos) << home.body;
  EXPECT_NE(home.body.find("<td>shop-api</td><td>develop</td>"), std::string::npos) << home.body;
  const std::string csrf = csrf_of(home.body);
  ASSERT_EQ(csrf.size(), 64u) << home.body;

  // Another site's form (no CSRF value, or a wrong one) cannot sign the person out.
  EXPECT_EQ(d.request("POST", "/sign-out", "", {{"Cookie", cookie}, kForm[0]}).status, 403);
  EXPECT_EQ(
      d.request("POST", "/sign-out", "csrf=" + std::string(64, '0'), {{"Cookie", cookie}, kForm[0]})
          .status,
      403);
  EXPECT_NE(d.request("GET", "/", "", {{"Cookie", cookie}}).body.find("Signed in as"),
            std::string::npos);

  auto out = d.request("POST", "/sign-out", "csrf=" + csrf, {{"Cookie", cookie}, kForm[0]});
  EXPECT_EQ(out.status, 303);
  EXPECT_NE(out.header("Set-Cookie").find("juanie_session=;"), std::string::npos);
  EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  auto after = d.request("GET", "/", "", {{"Cookie", cookie}});
  EXPECT_EQ(after.body.find("shop-api"), std::string::npos) << "the old cookie is dead";
  EXPECT_NE(after.body.find("action=\"/sign-in\""), std::string::npos);
  EXPECT_EQ(d.request("PUT", "/").status, 405);
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// Behind a TLS proxy (public_url is https) people reach the page over https though the daemon
// serves plain http: the cookie is Secure, never sent over http, and named __Host- so no other
// host of the domain and no http page can plant or overwrite it. Only that name is read.
TEST(StatusPage, BehindAnHttpsProxyTheCookieIsSecureAndHostOnly) {
  Daemon d("public_url: https://ci.example.com\n");
  ASSERT_TRUE(d.start()) << d.log();
  auto signed_in = d.request("POST", "/sign-in", std::string("token=") + kApiToken, kForm);
  ASSERT_EQ(signed_in.status, 303) << signed_in.body;
  const std::string set_cookie = signed_in.header("Set-Cookie");
  ASSERT_TRUE(set_cookie.starts_with("__Host-juanie_session=")) << set_cookie;
  EXPECT_NE(set_cookie.find("; Secure"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Path=/;"), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("Domain"), std::string::npos) << set_cookie;
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  const std::string id = cookie.substr(cookie.find('=') + 1);

  auto home = d.request("GET", "/", "", {{"Cookie", cookie}});
  EXPECT_NE(home.body.find("Signed in as"), std::string::npos) << home.body;
  // The same id under the plain name (which anyone may set) is no session here.
  auto plain = d.request("GET", "/", "", {{"Cookie", "juanie_session=" + id}});
  EXPECT_EQ(plain.body.find("Signed in as"), std::string::npos) << plain.body;

  auto out =
      d.request("POST", "/sign-out", "csrf=" + csrf_of(home.body), {{"Cookie", cookie}, kForm[0]});
  EXPECT_EQ(out.status, 303);
  EXPECT_TRUE(out.header("Set-Cookie").starts_with("__Host-juanie_session=;"))
      << out.header("Set-Cookie");
  EXPECT_NE(out.header("Set-Cookie").find("; Secure"), std::string::npos);
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// A person in Debian's Chromium (tests/browser/status_page.mjs through playwright-core): a
// wrong token is told so, the right one shows the runs (on a phone without scrolling
// sideways), no script can read the session cookie, axe-core finds nothing serious on either
// page, and signing out ends the session. Screenshots go to the build's test-artifacts.
TEST(StatusPage, APersonSignsInSeesTheRunsAndSignsOutInARealBrowser) {
  namespace json = boost::json;
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", std::string(40, 'b'));
  ASSERT_EQ(
      d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "page-2")).status,
      202);
  const auto seen = run_browser_script("status_page.mjs",
                                       {"http://127.0.0.1:" + std::to_string(d.port()), kApiToken},
                                       "status-page");
  ASSERT_FALSE(seen.empty());
  ASSERT_FALSE(seen.contains("error"));
  EXPECT_EQ(seen.at("problems").as_array().size(), 0u) << json::serialize(seen.at("problems"));
  EXPECT_NE(std::string(seen.at("wrong_token_alert").as_string()).find("api_tokens"),
            std::string::npos);
  EXPECT_EQ(seen.at("heading").as_string(), "Runs");
  EXPECT_EQ(seen.at("signed_in_as").as_string(), "tests");
  EXPECT_NE(std::string(seen.at("first_row").as_string()).find("shop-api"), std::string::npos)
      << json::serialize(seen);
  EXPECT_FALSE(seen.at("cookie_visible_to_scripts").as_bool());
  EXPECT_FALSE(seen.at("phone_overflows").as_bool());
  EXPECT_EQ(seen.at("after_sign_out").as_string(), "Sign in to juanie");
  EXPECT_EQ(d.stop(), 0) << d.log();
}

}  // namespace
}  // namespace juanie::test
