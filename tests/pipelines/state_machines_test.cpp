#include "pipelines/state_machines.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

TEST(RunStateMachine, TheHappyPathAndCrashRecovery) {
  EXPECT_TRUE(can_transition(RunState::kQueued, RunState::kRunning));
  EXPECT_TRUE(can_transition(RunState::kRunning, RunState::kSucceeded));
  EXPECT_TRUE(can_transition(RunState::kRunning, RunState::kFailed));
  EXPECT_TRUE(can_transition(RunState::kRunning, RunState::kCancelled));
  EXPECT_TRUE(can_transition(RunState::kQueued, RunState::kCancelled));
  EXPECT_TRUE(can_transition(RunState::kRunning, RunState::kQueued));
}

TEST(RunStateMachine, FinalStatesStayFinal) {
  for (auto final_state : {RunState::kSucceeded, RunState::kFailed, RunState::kCancelled}) {
    EXPECT_TRUE(is_final(final_state));
    for (auto to : {RunState::kQueued, RunState::kRunning, RunState::kSucceeded, RunState::kFailed,
                    RunState::kCancelled}) {
      EXPECT_FALSE(can_transition(final_state, to));
    }
  }
  auto r = transition(RunState::kSucceeded, RunState::kRunning);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "illegal transition succeeded → running");
}

TEST(DeploymentStateMachine, FollowsDesign) {
  using D = DeploymentState;
  EXPECT_TRUE(can_transition(D::kPending, D::kAwaitingApproval));
  EXPECT_TRUE(can_transition(D::kAwaitingApproval, D::kRunning));
  EXPECT_TRUE(can_transition(D::kRunning, D::kSuccess));
  EXPECT_TRUE(can_transition(D::kRunning, D::kFailed));
  EXPECT_TRUE(can_transition(D::kFailed, D::kRolledBack));
  EXPECT_TRUE(can_transition(D::kAwaitingApproval, D::kCancelled));
  EXPECT_FALSE(can_transition(D::kRunning, D::kCancelled));
  EXPECT_FALSE(can_transition(D::kSuccess, D::kRolledBack));
  EXPECT_FALSE(can_transition(D::kAwaitingApproval, D::kSuccess));
  // With Flux feedback: committed, then Flux's verdict.
  EXPECT_TRUE(can_transition(D::kRunning, D::kDeploying));
  EXPECT_TRUE(can_transition(D::kDeploying, D::kSuccess));
  EXPECT_TRUE(can_transition(D::kDeploying, D::kFailed));
  EXPECT_FALSE(can_transition(D::kDeploying, D::kRolledBack));
  EXPECT_FALSE(can_transition(D::kDeploying, D::kCancelled));
  EXPECT_FALSE(can_transition(D::kPending, D::kDeploying));
  EXPECT_EQ(parse_deployment_state("deploying"), D::kDeploying);
}

TEST(EnvironmentAndProjectStateMachines, FollowDesign) {
  EXPECT_TRUE(can_transition(EnvironmentState::kCreating, EnvironmentState::kActive));
  EXPECT_TRUE(can_transition(EnvironmentState::kActive, EnvironmentState::kDeleting));
  EXPECT_FALSE(can_transition(EnvironmentState::kDeleted, EnvironmentState::kActive));
  EXPECT_TRUE(can_transition(ProjectState::kActive, ProjectState::kSuspended));
  EXPECT_FALSE(can_transition(ProjectState::kArchived, ProjectState::kActive));
}

TEST(StateNames, RoundTrip) {
  for (auto s : {RunState::kQueued, RunState::kRunning, RunState::kSucceeded, RunState::kFailed,
                 RunState::kCancelled}) {
    EXPECT_EQ(parse_run_state(to_string(s)), s);
  }
  EXPECT_EQ(parse_deployment_state("awaiting_approval"), DeploymentState::kAwaitingApproval);
  EXPECT_EQ(parse_deployment_state("approved"), std::nullopt);
  EXPECT_EQ(to_string(ProjectState::kInitializing), "initializing");
  EXPECT_EQ(parse_environment_state("updating"), EnvironmentState::kUpdating);
  for (auto s : {StepState::kRunning, StepState::kSucceeded, StepState::kFailed,
                 StepState::kSkipped, StepState::kCancelled}) {
    EXPECT_EQ(parse_step_state(to_string(s)), s);
  }
  EXPECT_EQ(parse_step_state("queued"), std::nullopt);
}

}  // namespace
}  // namespace juanie::pipelines
