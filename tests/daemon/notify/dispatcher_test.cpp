// The Dispatcher driven in-process: a real outbox (a temporary SQLite file), a manual clock and
// a recording transport instead of HTTP. No socket, no sleep: each pass is called by the test.
#include "daemon/notify/dispatcher.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "daemon/support/crypto.hpp"
#include "support/manual_clock.hpp"
#include "support/recording_transport.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

namespace juanie::daemon::notify {
namespace {

using namespace std::chrono_literals;

std::string header(const http::ClientRequest& request, const std::string& name) {
  for (const auto& [k, v] : request.headers) {
    if (k == name) return v;
  }
  return "";
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home.write("secrets/hook.url", "https://hooks.example.com/juanie");
    home.write("secrets/hook.secret", "hook-signing-secret");
    daemon.secrets_dir = home / "secrets";
    config::NotificationSink sink;
    sink.type = "webhook";
    sink.url = "hook.url";
    sink.secret = "hook.secret";
    daemon.notifications = {sink};
    project.name = "shop";
    ASSERT_NO_FATAL_FAILURE(test::open_store(home / "juanie.db", writer, reader));
    dispatcher.emplace(
        DispatcherDeps{daemon, *writer, *reader, clock, log, nullptr, 5s, 3, &transport});
  }

  void TearDown() override {
    if (dispatcher) dispatcher->stop();
    if (writer) writer->stop();
  }

  void enqueue_run_failed() {
    Notifier notifier(daemon, nullptr);
    auto ok = store::write_and_wait(*writer, [&](store::Database& db) {
      return notifier.enqueue(db, project, "run_failed",
                              {{"project", "shop"}, {"run", "7"}, {"reason", "step test failed"}},
                              rfc3339(clock.now()));
    });
    ASSERT_TRUE(ok) << ok.error().message;
  }

  store::OutboxMessage the_message() {
    auto all = reader->with([](store::Database& db) { return store::list_outbox(db, 10); });
    EXPECT_TRUE(all && all->size() == 1u);
    return all && !all->empty() ? all->front() : store::OutboxMessage{};
  }

  test::TempDir home;
  config::DaemonConfig daemon;
  config::ProjectConfig project;
  std::unique_ptr<store::Writer> writer;
  std::optional<store::Reader> reader;
  test::ManualClock clock;
  test::RecordingTransport transport;
  std::ostringstream log_text;
  Log log{log_text};
  std::optional<Dispatcher> dispatcher;
};

TEST_F(DispatcherTest, AWebhookCarriesTheEventSignedWithTheSinksSecret) {
  enqueue_run_failed();
  EXPECT_EQ(dispatcher->deliver_due(), 1);
  const auto sent = transport.requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_EQ(sent[0].url, "https://hooks.example.com/juanie");
  EXPECT_EQ(header(sent[0], "X-Juanie-Event"), "run_failed");
  EXPECT_EQ(header(sent[0], "X-Juanie-Delivery"), std::to_string(the_message().id));
  EXPECT_EQ(header(sent[0], "X-Juanie-Signature-256"),
            "sha256=" + hex_encode(hmac_sha256("hook-signing-secret", sent[0].body)));
  EXPECT_NE(sent[0].body.find("step test failed"), std::string::npos);
  EXPECT_EQ(the_message().state, "delivered");
  EXPECT_EQ(dispatcher->deliver_due(), 0) << "a delivered message went again";
}

TEST_F(DispatcherTest, AFailedSendIsRetriedAfterTheBackoffAndThenGivenUp) {
  transport.answer_with({503, 503, 503});
  enqueue_run_failed();
  EXPECT_EQ(dispatcher->deliver_due(), 1);
  EXPECT_EQ(the_message().state, "pending");
  EXPECT_EQ(the_message().next_attempt_at, rfc3339(clock.now() + 5s));
  EXPECT_NE(the_message().last_error.value_or("").find("HTTP 503"), std::string::npos);

  // Not due yet: nothing is sent until the clock reaches the next attempt.
  clock.advance(4s);
  EXPECT_EQ(dispatcher->deliver_due(), 0);
  clock.advance(1s);
  EXPECT_EQ(dispatcher->deliver_due(), 1);
  EXPECT_EQ(the_message().next_attempt_at, rfc3339(clock.now() + 10s)) << "doubled";
  clock.advance(10s);
  EXPECT_EQ(dispatcher->deliver_due(), 1);
  EXPECT_EQ(the_message().state, "abandoned") << "max_attempts is 3";
  clock.advance(1h);
  EXPECT_EQ(dispatcher->deliver_due(), 0);
  EXPECT_EQ(transport.requests().size(), 3u);
}

}  // namespace
}  // namespace juanie::daemon::notify
