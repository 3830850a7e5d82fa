#include "daemon/approvals/approval_page.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::approvals {
namespace {

// The sentences an approver reads after a decision: each says what happened to what.
TEST(ApprovalPageText, NamesTheDeploymentTheEnvironmentAndTheCount) {
  EXPECT_EQ(rejected_text(7, "prod").message,
            "Deployment 7 to prod is cancelled. Your rejection is recorded.");
  const auto done = approved_final_text("registry/shop", "3f2a1bc", "prod");
  EXPECT_EQ(done.title, "Approved");
  EXPECT_EQ(done.message,
            "Your approval completes the gate: registry/shop:3f2a1bc is being committed to prod.");
  EXPECT_EQ(approved_waiting_text(1, 2).message,
            "Your approval is recorded (1 of 2); the deployment waits for the rest.");
  EXPECT_EQ(no_longer_waiting_text(7, "cancelled", "superseded by deployment 8").message,
            "Deployment 7 is cancelled (superseded by deployment 8); it no longer waits for "
            "approval.");
  EXPECT_EQ(no_longer_waiting_text(7, "success", std::nullopt).message,
            "Deployment 7 is success; it no longer waits for approval.");
  EXPECT_EQ(refused_decision_text(true, "bob has already decided").title, "Already decided");
  EXPECT_EQ(refused_decision_text(false, "bob pushed this commit").message,
            "bob pushed this commit.");
}

}  // namespace
}  // namespace juanie::daemon::approvals
