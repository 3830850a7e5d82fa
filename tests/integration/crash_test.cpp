#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "integration/daemon_fixture.hpp"

namespace juanie::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// kill -9 in the middle of a burst of webhooks: every delivery answered 2xx has exactly one
// run after the restart, and no delivery has two.
TEST(Crash, EveryAcknowledgedDeliverySurvivesKillNine) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  constexpr int kSenders = 16;
  constexpr int kPerSender = 25;  // 400 deliveries
  std::mutex mutex;
  std::map<std::string, long long> acknowledged;  // delivery → run
  std::atomic<int> sent{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (int i = 0; i < kPerSender; ++i) {
        const int n = s * kPerSender + i;
        const std::string delivery = "crash-" + std::to_string(n);
        const std::string body =
            push_body("refs/heads/feature/f" + std::to_string(n % 7), sha_for(5000 + n));
        auto r = d.request("POST", "/hooks/github/shop-api", body, github_headers(body, delivery));
        ++sent;
        if (r.status == 202 || r.status == 200) {
          std::lock_guard lock(mutex);
          acknowledged[delivery] = json::parse(r.body).at("run").as_int64();
        }
      }
    });
  }
  while (sent.load() < kSenders * kPerSender / 2) std::this_thread::sleep_for(1ms);
  d.kill9();
  for (auto& t : senders) t.join();
  ASSERT_GT(acknowledged.size(), 50u);
  ASSERT_LT(acknowledged.size(), static_cast<std::size_t>(kSenders * kPerSender));

  ASSERT_TRUE(d.start()) << d.log();
  const std::string db = (d.home() / "data/juanie.db").string();
  for (const auto& [delivery, run] : acknowledged) {
    EXPECT_EQ(
        count_rows(db, "SELECT count(*) FROM deliveries WHERE delivery_id = '" + delivery + "'"), 1)
        << delivery;
    EXPECT_EQ(count_rows(db, "SELECT count(*) FROM runs WHERE id = " + std::to_string(run) +
                                 " AND delivery = '" + delivery + "'"),
              1)
        << delivery;
  }
  // No delivery has two runs, and no run was made twice for one commit.
  EXPECT_EQ(
      count_rows(
          db,
          "SELECT count(*) FROM (SELECT delivery FROM runs GROUP BY delivery HAVING count(*) > 1)"),
      0);
  EXPECT_EQ(count_rows(
                db, "SELECT count(*) FROM (SELECT sha FROM runs GROUP BY sha HAVING count(*) > 1)"),
            0);

  // The forge retries whatever was not acknowledged: each lands exactly once, and the
  // acknowledged ones answer with their original run.
  for (int n = 0; n < kSenders * kPerSender; ++n) {
    const std::string delivery = "crash-" + std::to_string(n);
    const std::string body =
        push_body("refs/heads/feature/f" + std::to_string(n % 7), sha_for(5000 + n));
    auto r = d.request("POST", "/hooks/github/shop-api", body, github_headers(body, delivery));
    ASSERT_TRUE(r.status == 200 || r.status == 202) << r.status << " " << r.body;
    if (auto it = acknowledged.find(delivery); it != acknowledged.end()) {
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(json::parse(r.body).at("run").as_int64(), it->second);
    }
  }
  EXPECT_EQ(count_rows(db, "SELECT count(*) FROM runs"), kSenders * kPerSender);
}

}  // namespace
}  // namespace juanie::test
