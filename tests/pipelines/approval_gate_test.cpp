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
  Environment staging{.name = "staging",
                      .approval = Approval::kOptional,
                      .approvers = {"alice"},
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

// The audit names only actions the daemon knows: whatever else a form posts is "decide".
TEST(ApprovalGate, TheAuditActionOfAPostedDecisionIsOneOfThree) {
  EXPECT_EQ(decision_action("approve"), "approve");
  EXPECT_EQ(decision_action("reject"), "reject");
  for (const std::string& posted : std::vector<std::string>{
           "", "Approve", "approve ", "rollback", "trigger", "yes", std::string(1 << 16, 'x')}) {
    EXPECT_EQ(decision_action(posted), "decide") << posted.substr(0, 20);
  }
}

TEST(ApprovalGate, WhoMayDecide) {
  const Gate gate = *gate_of(prod());
  const Authors from{.forge = "github", .logins = {"Alice"}, .emails = {}, .triggered = {"bob"}};
  const auto approve = Decision::kApprove;
  const Person alice{"alice", "", {}}, bob{"bob", "", {}}, carol{"carol", "carol@example.com", {}};
  auto r = may_decide(gate, alice, approve, from, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "alice pushed this deployment and cannot approve it: another approver must");
  EXPECT_EQ(r.error().kind, ErrorKind::kForbidden);
  r = may_decide(gate, bob, approve, from, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("bob triggered"), std::string::npos);
  EXPECT_TRUE(may_decide(gate, carol, approve, from, {}));
  // Rejecting one's own deployment is allowed; approving it is not.
  EXPECT_TRUE(may_decide(gate, alice, Decision::kReject, from, {}));
  auto twice = may_decide(gate, carol, approve, from, {{"carol", approve}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message, "carol has already decided on this deployment");
  EXPECT_EQ(twice.error().kind, ErrorKind::kConflict);
  auto stranger = may_decide(gate, Person{"mallory", "", {}}, approve, from, {});
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().message, "mallory is not an approver of this environment");
  EXPECT_EQ(stranger.error().kind, ErrorKind::kForbidden);
  Gate self = gate;
  self.allow_self_approval = true;
  EXPECT_TRUE(may_decide(self, alice, approve, from, {}));
}

// An approver is known by their forge logins and address, whatever name the project gives them.
TEST(ApprovalGate, AuthorsAreKnownByLoginAddressAndTrigger) {
  const Person alice{"alice", "Alice@Example.com", {{"github", "alice-gh"}, {"gitlab", "asmith"}}};
  EXPECT_EQ(authorship(alice, {.forge = "github", .logins = {"ALICE-GH"}}), "pushed");
  // A login on another forge is another person.
  EXPECT_EQ(authorship(alice, {.forge = "gitea", .logins = {"alice-gh"}}), std::nullopt);
  EXPECT_EQ(authorship(alice, {.forge = "gitlab", .logins = {"root", "asmith"}}), "pushed");
  EXPECT_EQ(authorship(alice, {.forge = "github",
                               .logins = {"bob"},
                               .emails = {"bob@example.com", "alice@example.com"}}),
            "authored a commit of");
  EXPECT_EQ(
      authorship(alice, {.forge = "github", .emails = {"12345+alice-gh@users.noreply.github.com"}}),
      "authored a commit of");
  EXPECT_EQ(
      authorship(alice, {.forge = "github", .emails = {"12345+bob@users.noreply.github.com"}}),
      std::nullopt);
  EXPECT_EQ(authorship(alice, {.forge = "github", .logins = {"bob"}, .triggered = {"Alice"}}),
            "triggered");
  EXPECT_EQ(
      authorship(alice, {.forge = "github", .logins = {"bob"}, .emails = {""}, .triggered = {""}}),
      std::nullopt);
  EXPECT_EQ(authorship(Person{"carol", "", {}}, {.forge = "github", .emails = {""}}), std::nullopt);
}

}  // namespace
}  // namespace juanie::pipelines
