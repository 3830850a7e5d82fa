// The outbound HTTP client against a real server on loopback: what a remote may make the
// daemon hold, and which URLs it will follow at all.
#include "daemon/http/client.hpp"

#include <gtest/gtest.h>

#include "support/mail_and_hooks.hpp"

namespace juanie::daemon::http {
namespace {

TEST(HttpClient, AnEndlessAnswerStopsAtTheBodyCap) {
  test::HookReceiver remote;
  remote.default_answer(200, std::string(3 << 20, 'x'));
  ClientRequest big;
  big.method = "POST";
  big.url = remote.url();
  auto answer = send(big);
  ASSERT_FALSE(answer);
  EXPECT_NE(answer.error().message.find("the answer's body is over 1048576 bytes"),
            std::string::npos)
      << answer.error().message;
  big.max_body = 4 << 20;
  auto whole = send(big);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_GE(whole->body.size(), std::size_t{3} << 20);
}

TEST(HttpClient, OnlyHttpAndHttpsAreSpoken) {
  ClientRequest file;
  file.url = "file:///etc/hostname";
  auto answer = send(file);
  ASSERT_FALSE(answer);
  EXPECT_NE(answer.error().message.find("file:///etc/hostname"), std::string::npos);
}

}  // namespace
}  // namespace juanie::daemon::http
