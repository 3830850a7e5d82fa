// The test server does not outlive a test process that dies without running destructors.
#include "support/postgres_server.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "daemon/store/pg_connection.hpp"

namespace juanie::test {
namespace {

bool accepts(int port) {
  return daemon::store::pg::Connection::connect(
             "postgresql://juanie@127.0.0.1:" + std::to_string(port) +
             "/postgres?sslmode=disable&connect_timeout=2")
      .has_value();
}

TEST(PostgresServerTest, AServerOfAKilledTestProcessIsStopped) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    int port = 0;
    try {
      PostgresServer server;
      port = server.port();
      (void)!::write(fds[1], &port, sizeof port);
      for (;;) ::pause();  // killed here, destructors never run
    } catch (...) {
      (void)!::write(fds[1], &port, sizeof port);
    }
    ::_exit(1);
  }
  ::close(fds[1]);
  int port = 0;
  ASSERT_EQ(::read(fds[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  ::close(fds[0]);
  ASSERT_NE(port, 0) << "the child could not start a server";
  EXPECT_TRUE(accepts(port));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  // The watcher polls once a second; a minute is a hang, not slowness.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (accepts(port) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_FALSE(accepts(port)) << "the server outlived its test process";
}

}  // namespace
}  // namespace juanie::test
