#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/daemon_fixture.hpp"
#include "integration/raw_client.hpp"

namespace juanie::test {
namespace {

using namespace std::chrono_literals;

// A notify socket standing in for systemd's: the daemon must say READY=1 once it listens and
// STOPPING=1 on SIGTERM, as Type=notify expects.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    timeval tv{0, 200'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // Everything received within `timeout`, one message per line.
  std::string drain(std::chrono::milliseconds timeout) {
    std::string all;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      char buf[1024];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) all += std::string(buf, static_cast<std::size_t>(n)) + "\n";
    }
    return all;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(Systemd, NotifiesReadyReloadingAndStopping) {
  Daemon d;
  NotifySocket notify((d.home() / "notify.sock").string());
  d.set_env("NOTIFY_SOCKET", (d.home() / "notify.sock").string());
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_NE(notify.drain(500ms).find("READY=1"), std::string::npos);
  d.signal(SIGHUP);
  const std::string reload = notify.drain(500ms);
  EXPECT_NE(reload.find("RELOADING=1"), std::string::npos) << reload;
  EXPECT_NE(reload.find("READY=1"), std::string::npos) << reload;
  d.signal(SIGTERM);
  EXPECT_NE(notify.drain(500ms).find("STOPPING=1"), std::string::npos);
  EXPECT_EQ(d.stop(SIGTERM), 0);
}

// WatchdogSec= as systemd passes it: WATCHDOG_USEC and WATCHDOG_PID naming the daemon. Pings
// come every half interval once /healthz answered over loopback; STATUS= says what runs do.
TEST(Systemd, FeedsTheWatchdogAndReportsRunsInTheStatus) {
  Daemon d;
  NotifySocket notify((d.home() / "notify.sock").string());
  d.set_env("NOTIFY_SOCKET", (d.home() / "notify.sock").string());
  d.set_env("WATCHDOG_USEC", "400000");
  d.set_env_to_pid("WATCHDOG_PID");
  ASSERT_TRUE(d.start()) << d.log();
  // Runs stay queued (concurrent_runs: 0): the status counts them. Two branches, so that
  // neither push supersedes the other.
  for (int i = 0; i < 2; ++i) {
    const std::string body =
        push_body(i == 0 ? "refs/heads/develop" : "refs/heads/feature/x", sha_for(800 + i));
    auto r = d.request("POST", "/hooks/github/shop-api", body,
                       github_headers(body, "watchdog-" + std::to_string(i)));
    ASSERT_EQ(r.status, 202) << r.body;
  }
  const std::string said = notify.drain(2000ms);
  EXPECT_NE(said.find("READY=1"), std::string::npos) << said;
  std::size_t pings = 0;
  for (auto at = said.find("WATCHDOG=1"); at != std::string::npos;
       at = said.find("WATCHDOG=1", at + 1)) {
    ++pings;
  }
  EXPECT_GE(pings, 3u) << said;
  EXPECT_NE(said.find("STATUS=0 run(s) running, 2 queued"), std::string::npos) << said;
  EXPECT_EQ(d.stop(SIGTERM), 0);
}

// A stranger holding every connection the daemon takes leaves the loop alive: its probe is
// answered (503 at the cap), so the watchdog is still fed and systemd restarts nothing.
TEST(Systemd, EveryConnectionTakenStillFeedsTheWatchdog) {
  Daemon d("limits:\n  max_connections: 4\n  header_timeout: 60s\n");
  NotifySocket notify((d.home() / "notify.sock").string());
  d.set_env("NOTIFY_SOCKET", (d.home() / "notify.sock").string());
  d.set_env("WATCHDOG_USEC", "400000");
  d.set_env_to_pid("WATCHDOG_PID");
  ASSERT_TRUE(d.start()) << d.log();
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int attempt = 0; held.size() < 4 && attempt < 100; ++attempt) {
    auto c = std::make_unique<RawConnection>(d.port());
    ASSERT_TRUE(c->send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));  // never ends
    // The daemon's own watchdog probe holds a place for a moment: a connection turned away
    // then (503) is not one of those held (seen under ASan, where the probe is slower).
    if (status_of(c->read_response(200ms)) == 503) continue;
    held.push_back(std::move(c));
  }
  ASSERT_EQ(held.size(), 4u);
  notify.drain(500ms);  // pings from before the cap was reached
  RawConnection one_more(d.port());
  ASSERT_TRUE(one_more.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(status_of(one_more.read_response(3s)), 503) << "the cap is reached";
  const std::string said = notify.drain(1500ms);
  std::size_t pings = 0;
  for (auto at = said.find("WATCHDOG=1"); at != std::string::npos;
       at = said.find("WATCHDOG=1", at + 1)) {
    ++pings;
  }
  EXPECT_GE(pings, 2u) << said;
  held.clear();
  EXPECT_EQ(d.stop(SIGTERM), 0);
}

// A watchdog systemd set up for another process (WATCHDOG_PID not ours) is not fed.
TEST(Systemd, AWatchdogForAnotherPidIsNotFed) {
  Daemon d;
  NotifySocket notify((d.home() / "notify.sock").string());
  d.set_env("NOTIFY_SOCKET", (d.home() / "notify.sock").string());
  d.set_env("WATCHDOG_USEC", "400000");
  d.set_env("WATCHDOG_PID", std::to_string(::getpid()));
  ASSERT_TRUE(d.start()) << d.log();
  const std::string said = notify.drain(1000ms);
  EXPECT_NE(said.find("READY=1"), std::string::npos) << said;
  EXPECT_EQ(said.find("WATCHDOG=1"), std::string::npos) << said;
  EXPECT_EQ(d.stop(SIGTERM), 0);
}

TEST(Tls, ServesWebhooksOverHttps) {
  Daemon d;
  const std::string cert = (d.home() / "cert.pem").string();
  const std::string key = (d.home() / "key.pem").string();
  const std::string make_cert =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(make_cert.c_str()), 0);
  d.use_tls(cert, key);
  // The watchdog's probe reaches /healthz over https too, though no system CA trusts the cert.
  NotifySocket notify((d.home() / "notify.sock").string());
  d.set_env("NOTIFY_SOCKET", (d.home() / "notify.sock").string());
  d.set_env("WATCHDOG_USEC", "400000");
  d.set_env_to_pid("WATCHDOG_PID");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha_for(700));
  auto r = d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "tls-1"));
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(d.request("GET", "/healthz").status, 200);
  // Served over TLS, the status page's session cookie is Secure and __Host- (host-only).
  auto signed_in = d.request("POST", "/sign-in", std::string("token=") + kApiToken,
                             {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(signed_in.status, 303) << signed_in.body;
  EXPECT_TRUE(signed_in.header("Set-Cookie").starts_with("__Host-juanie_session="))
      << signed_in.header("Set-Cookie");
  EXPECT_NE(signed_in.header("Set-Cookie").find("; Secure"), std::string::npos);
  const std::string said = notify.drain(1000ms);
  EXPECT_NE(said.find("WATCHDOG=1"), std::string::npos) << said;
}

TEST(Tls, UnreadableCertificateRefusesToStart) {
  Daemon d;
  d.use_tls((d.home() / "missing.pem").string(), (d.home() / "missing.key").string());
  EXPECT_FALSE(d.start());
  EXPECT_NE(d.log().find("tls: cannot load"), std::string::npos) << d.log();
}

}  // namespace
}  // namespace juanie::test
