#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "integration/daemon_fixture.hpp"
#include "integration/raw_client.hpp"

namespace juanie::test {
namespace {

using namespace std::chrono_literals;

class ServerLimitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new Daemon(
        "limits:\n  body_max: 1MiB\n  header_timeout: 2s\n  body_timeout: 3s\n"
        "  max_connections: 8\n");
    ASSERT_TRUE(daemon_->start()) << daemon_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();
    delete daemon_;
  }
  static Daemon& d() { return *daemon_; }
  static inline Daemon* daemon_ = nullptr;
};

std::string post_head(const std::string& path, const std::string& extra) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         extra + "\r\n";
}

TEST_F(ServerLimitsTest, AnAnnouncedOversizedBodyIs413BeforeTheBodyIsSent) {
  RawConnection c(d().port());
  ASSERT_TRUE(c.connected());
  // 26 MiB announced, not one byte of it sent: the answer must not wait for it.
  ASSERT_TRUE(c.send(post_head("/hooks/github/shop-api", "Content-Length: 27262976\r\n")));
  const std::string response = c.read_response(5s);
  EXPECT_EQ(status_of(response), 413) << response;
  EXPECT_NE(response.find("limits.body_max"), std::string::npos);
}

TEST_F(ServerLimitsTest, AnOversizedBodyBeingSentStillGetsA413) {
  RawConnection c(d().port());
  const std::size_t size = 26u << 20;
  ASSERT_TRUE(c.send(
      post_head("/hooks/github/shop-api", "Content-Length: " + std::to_string(size) + "\r\n")));
  // Keep sending while the server answers; it may stop reading at any point.
  std::thread sender([&] {
    const std::string chunk(64 * 1024, 'x');
    for (std::size_t sent = 0; sent < size; sent += chunk.size()) {
      if (!c.send(chunk)) break;
    }
  });
  const std::string response = c.read_response(10s);
  sender.join();
  EXPECT_EQ(status_of(response), 413) << response.substr(0, 200);
}

TEST_F(ServerLimitsTest, AChunkedBodyOverTheCapIs413) {
  RawConnection c(d().port());
  ASSERT_TRUE(c.send(post_head("/hooks/github/shop-api", "Transfer-Encoding: chunked\r\n")));
  const std::string chunk(256 * 1024, 'x');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  for (int i = 0; i < 6; ++i) {
    if (!c.send(size_line + chunk + "\r\n")) break;
  }
  const std::string response = c.read_response(5s);
  EXPECT_EQ(status_of(response), 413) << response.substr(0, 200);
}

constexpr long kBodyMaxKib = 1024;  // the fixture's limits.body_max
// What a request may cost the daemon at most, generously: the body (whose string may double
// while it grows), the header and framing buffers, and room for allocator slack.
constexpr long kHeldBoundKib = kBodyMaxKib * 4 + 64 * 1024;

// Sends `head`, then `opening`, then `filler` over and over (up to 256 MiB, far past any bound)
// until the daemon stops taking it; returns the answer and the most the daemon's resident
// memory grew meanwhile (sampled, and its high-water mark when that rose).
std::pair<std::string, long> send_endless(Daemon& daemon, const std::string& head,
                                          const std::string& opening, const std::string& filler) {
  const int pid = daemon.pid();
  const long before = proc_status_kib(pid, "VmRSS");
  const long hwm_before = proc_status_kib(pid, "VmHWM");
  RawConnection c(daemon.port());
  std::atomic<bool> sending{true};
  std::atomic<long> peak{before};
  std::thread sampler([&] {
    while (sending.load()) {
      peak = std::max(peak.load(), proc_status_kib(pid, "VmRSS"));
      std::this_thread::sleep_for(5ms);  // the sampling period, not a wait for something
    }
  });
  std::thread sender([&] {
    if (c.send(head) && c.send(opening)) {
      for (std::size_t sent = 0; sent < (256u << 20); sent += filler.size()) {
        if (!c.send(filler)) break;
      }
    }
    sending = false;
  });
  std::string response = c.read_response(10s);
  sender.join();
  sampler.join();
  long top = peak.load();
  if (const long hwm = proc_status_kib(pid, "VmHWM"); hwm > hwm_before) top = std::max(top, hwm);
  return {response, top - before};
}

TEST_F(ServerLimitsTest, AnEndlessChunkExtensionIs400AndCostsNoMemory) {
  auto [response, grown_kib] =
      send_endless(d(), post_head("/hooks/github/shop-api", "Transfer-Encoding: chunked\r\n"),
                   "1;ext=", std::string(64 * 1024, 'a'));
  EXPECT_EQ(status_of(response), 400) << response.substr(0, 200);
  EXPECT_LT(grown_kib, kHeldBoundKib) << "the daemon grew by " << grown_kib << " KiB";
  RecordProperty("grown_kib", std::to_string(grown_kib));
  EXPECT_EQ(d().request("GET", "/healthz").status, 200);
}

TEST_F(ServerLimitsTest, EndlessTrailersAre400AndCostNoMemory) {
  std::string trailers;
  while (trailers.size() < 64 * 1024) trailers += "X-Trailer: " + std::string(200, 'b') + "\r\n";
  auto [response, grown_kib] =
      send_endless(d(), post_head("/hooks/github/shop-api", "Transfer-Encoding: chunked\r\n"),
                   "2\r\n{}\r\n0\r\n", trailers);
  EXPECT_EQ(status_of(response), 400) << response.substr(0, 200);
  EXPECT_LT(grown_kib, kHeldBoundKib) << "the daemon grew by " << grown_kib << " KiB";
  RecordProperty("grown_kib", std::to_string(grown_kib));
}

TEST_F(ServerLimitsTest, ALongChunkExtensionIs400) {
  RawConnection c(d().port());
  ASSERT_TRUE(c.send(post_head("/hooks/github/shop-api", "Transfer-Encoding: chunked\r\n") +
                     "2;x=" + std::string(2000, 'a') + "\r\n{}\r\n0\r\n\r\n"));
  const std::string response = c.read_response(5s);
  EXPECT_EQ(status_of(response), 400) << response;
  EXPECT_NE(response.find("chunk extension"), std::string::npos) << response;
}

TEST_F(ServerLimitsTest, ChunksWithShortExtensionsAndTrailersStillReachTheHandler) {
  RawConnection c(d().port());
  ASSERT_TRUE(c.send(post_head("/hooks/github/shop-api", "Transfer-Encoding: chunked\r\n") +
                     "1;a=b\r\n{\r\n1;c\r\n}\r\n0\r\nX-Checksum: 1\r\n\r\n"));
  // Unsigned, so the webhook handler itself refuses it: the framing was accepted.
  EXPECT_EQ(status_of(c.read_response(5s)), 401);
}

TEST_F(ServerLimitsTest, ExpectContinueIsAnsweredSoClientsSendTheBody) {
  RawConnection c(d().port());
  const std::string body = push_body("refs/heads/develop", sha_for(400));
  std::string signed_head = "POST /hooks/github/shop-api HTTP/1.1\r\nHost: x\r\n";
  for (const auto& [k, v] : github_headers(body, "expect-1")) signed_head += k + ": " + v + "\r\n";
  signed_head +=
      "Content-Length: " + std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n";
  ASSERT_TRUE(c.send(signed_head));
  const std::string interim = c.read_response(3s);
  EXPECT_EQ(status_of(interim), 100) << interim;
  ASSERT_TRUE(c.send(body));
  const std::string response = c.read_response(5s);
  EXPECT_EQ(status_of(response), 202) << response;
}

TEST_F(ServerLimitsTest, ASlowClientIsCutOffAndCostsOthersNothing) {
  RawConnection slow(d().port());
  ASSERT_TRUE(slow.connected());
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::atomic<bool> cut{false};
  std::thread dribble([&] {
    // One byte a second: the request would take 40 s; the header timeout is 2 s.
    for (char ch : request) {
      if (!slow.send(std::string(1, ch))) break;
      if (slow.closed_by_peer(1000ms)) {
        cut = true;
        break;
      }
    }
  });
  // Meanwhile other clients are answered at once: asked over and over for as long as the slow
  // one is connected, not at guessed moments.
  int answered = 0;
  while (!cut.load() && answered < 10'000) {
    EXPECT_EQ(d().request("GET", "/healthz").status, 200);
    ++answered;
  }
  dribble.join();
  EXPECT_TRUE(cut.load());
  EXPECT_GE(answered, 1);
}

TEST_F(ServerLimitsTest, TheConnectionCapAnswers503AndRecovers) {
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(std::make_unique<RawConnection>(d().port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  // No wait needed for the server to take them: the kernel hands connections to accept() in
  // the order they were made, and the server counts each before it accepts the next, so by the
  // time this one is accepted all eight are counted.
  RawConnection over(d().port());
  ASSERT_TRUE(over.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(status_of(over.read_response(3s)), 503);
  idle.clear();
  // Recovered once the server has seen the eight close: asked until it answers, with a deadline.
  int status = 0;
  for (const auto deadline = std::chrono::steady_clock::now() + 10s;
       status != 200 && std::chrono::steady_clock::now() < deadline;) {
    status = d().request("GET", "/healthz").status;
  }
  EXPECT_EQ(status, 200);
}

TEST_F(ServerLimitsTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  RawConnection c(d().port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(status_of(c.read_response(3s)), 200) << "request " << i;
  }
}

TEST_F(ServerLimitsTest, OversizedHeadersAre431) {
  RawConnection c(d().port());
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') +
                     "\r\n\r\n"));
  EXPECT_EQ(status_of(c.read_response(3s)), 431);
}

}  // namespace
}  // namespace juanie::test
