#include "pipelines/approval_gate.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

Environment prod() {
  for (auto& e : default_environments()) {
    if (e.name == "prod") {
      e.approvers = {"alice", "bob", "carol"};
      e.required_approvals = 2;
      return e;
    }
  }
  return {};
}

TEST(ApprovalGate, DevHasNoGateStagingOnlyWhenTurnedOnProdAlways) {
  for (const auto& e : default_environments()) {
    if (e.name == "dev" || e.name == "staging") {
      EXPECT_FALSE(gate_of(e)) << e.name;
    }
  }
  Environment staging{.name = "staging", .approval = Approval::kOptional, .approvers = {"alice"},
                      .required_approvals = 1};
  ASSERT_TRUE(gate_of(staging));
  EXPECT_EQ(gate_of(staging)->required, 1);
  auto gate = gate_of(prod());
  ASSERT_TRUE(gate);
  EXPECT_EQ(gate->required, 2);
  EXPECT_FALSE(gate->allow_self_approval);
}

TEST(ApprovalGate, EachApproverCountsOnceAndAnyRejectionStops) {
  const Gate gate = *gate_of(prod());
  EXPECT_EQ(tally(gate, {}), Verdict::kWaiting);
  EXPECT_EQ(tally(gate, {{"alice", Decision::kApprove}}), Verdict::kWaiting);
  EXPECT_EQ(tally(gate, {{"alice", Decision::kApprove}, {"alice", Decision::kApprove}}),
            Verdict::kWaiting);
  EXPECT_EQ(tally(gate, {{"alice", Decision::kApprove}, {"mallory", Decision::kApprove}}),
            Verdict::kWaiting);
  EXPECT_EQ(tally(gate, {{"alice", Decision::kApprove}, {"bob", Decision::kApprove}}),
            Verdict::kApproved);
  EXPECT_EQ(tally(gate, {{"alice", Decision::kApprove}, {"bob", Decision::kReject}}),
            Verdict::kRejected);
}

TEST(ApprovalGate, WhoMayDecide) {
  const Gate gate = *gate_of(prod());
  const Requesters from{.pusher = "Alice", .pusher_email = "alice@example.com", .triggered_by = "bob"};
  const auto approve = Decision::kApprove;
  auto r = may_decide(gate, "alice", "", approve, from, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "alice pushed this deployment and cannot approve it: another approver must");
  r = may_decide(gate, "bob", "", approve, from, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("bob triggered"), std::string::npos);
  // The pusher's e-mail is theirs under any approver name.
  EXPECT_FALSE(may_decide(gate, "carol", "alice@example.com", approve, from, {}));
  EXPECT_TRUE(may_decide(gate, "carol", "carol@example.com", approve, from, {}));
  // Rejecting one's own deployment is allowed; approving it is not.
  EXPECT_TRUE(may_decide(gate, "alice", "", Decision::kReject, from, {}));
  auto twice = may_decide(gate, "carol", "", approve, from, {{"carol", approve}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message, "carol has already decided on this deployment");
  auto stranger = may_decide(gate, "mallory", "", approve, from, {});
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().message, "mallory is not an approver of this environment");
  Gate self = gate;
  self.allow_self_approval = true;
  EXPECT_TRUE(may_decide(self, "alice", "", approve, from, {}));
}

}  // namespace
}  // namespace juanie::pipelines
