#include "daemon/approvals/approval_wiring.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace juanie::daemon::approvals {
namespace {

class ApprovalWiringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon.source = home / "juanie.yaml";
    daemon.secrets_dir = home.path();
    daemon.approvals.signing_keys = {"approval.key"};
    daemon.public_url = "https://ci.example.org";
  }

  void write_key(const std::string& name, const std::string& secret) {
    std::ofstream(home / name) << secret;
  }

  test::TempDir home;
  config::DaemonConfig daemon;
};

TEST_F(ApprovalWiringTest, AMissingOrShortKeyIsAnErrorNamingTheFieldAndFile) {
  auto missing = ApprovalWiring::load(daemon);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("approvals.signing_key"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("approval.key"), std::string::npos)
      << missing.error().message;

  write_key("approval.key", "too short");
  auto short_key = ApprovalWiring::load(daemon);
  ASSERT_FALSE(short_key);
  EXPECT_NE(short_key.error().message.find("at least 32"), std::string::npos)
      << short_key.error().message;
}

// What `serve` and a command load from one configuration agrees: a link the command's flow
// signs verifies with the daemon's keys, and the first configured key signs it.
TEST_F(ApprovalWiringTest, TheDaemonAndACommandSignAndVerifyWithTheSameKeys) {
  write_key("approval.key", "the-new-approval-signing-key-of-32-bytes");
  write_key("old.key", "the-old-approval-signing-key-of-32-bytes!");
  daemon.approvals.signing_keys = {"approval.key", "old.key"};
  auto served = ApprovalWiring::load(daemon);
  auto command = ApprovalWiring::load(daemon);
  ASSERT_TRUE(served && command);
  const auto& keys = (*served)->flow().keys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].id, make_signing_key("the-new-approval-signing-key-of-32-bytes").id);
  EXPECT_EQ((*command)->flow().public_base(), "https://ci.example.org");

  LinkClaims claims{7, "alice", "prod", "sha256:abc", 1'900'000'000, "", ""};
  const std::string link =
      mint_link((*command)->flow().public_base(), claims, (*command)->flow().keys().front());
  auto verified = verify_link(link.substr(std::string("https://ci.example.org/approve/").size()),
                              (*served)->flow().keys());
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->key_id, keys[0].id);
}

TEST_F(ApprovalWiringTest, TheNotifierWakesWhatTheDaemonConnects) {
  write_key("approval.key", "the-new-approval-signing-key-of-32-bytes");
  auto wiring = ApprovalWiring::load(daemon);
  ASSERT_TRUE(wiring) << wiring.error().message;
  (*wiring)->notifier().wake();  // a command connects nothing: no one to wake
  int woken = 0;
  (*wiring)->wake_with([&woken] { ++woken; });
  (*wiring)->notifier().wake();
  EXPECT_EQ(woken, 1);
}

}  // namespace
}  // namespace juanie::daemon::approvals
