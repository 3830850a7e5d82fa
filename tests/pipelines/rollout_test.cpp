#include "pipelines/rollout.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

const std::string kSha1 = "0123456789abcdef0123456789abcdef01234567";

TEST(RevisionCommit, EveryFormFluxHasSent) {
  EXPECT_EQ(revision_commit("main@sha1:" + kSha1), kSha1);
  EXPECT_EQ(revision_commit("refs/heads/main@sha1:" + kSha1), kSha1);
  EXPECT_EQ(revision_commit("main/" + kSha1), kSha1);
  EXPECT_EQ(revision_commit("sha1:" + kSha1), kSha1);
  EXPECT_EQ(revision_commit(kSha1), kSha1);
  const std::string sha256(64, 'a');
  EXPECT_EQ(revision_commit("main@sha256:" + sha256), sha256);
}

TEST(RevisionCommit, NamesNoCommitOtherwise) {
  EXPECT_FALSE(revision_commit(""));
  EXPECT_FALSE(revision_commit("main"));
  EXPECT_FALSE(revision_commit("main@sha1:"));
  EXPECT_FALSE(revision_commit("main@sha1:0123"));
  EXPECT_FALSE(revision_commit("main@sha1:" + kSha1 + "x"));
  EXPECT_FALSE(revision_commit("v1.2.3@sha256:" + std::string(64, 'G')));
}

TEST(RolloutVerdict, ReconciliationSucceededIsHealthy) {
  EXPECT_EQ(rollout_verdict("ReconciliationSucceeded", "info"), RolloutVerdict::kHealthy);
}

TEST(RolloutVerdict, TheKnownFailuresFailAtAnySeverity) {
  for (auto failed :
       {"HealthCheckFailed", "ReconciliationFailed", "BuildFailed", "ArtifactFailed"}) {
    EXPECT_EQ(rollout_verdict(failed, "error"), RolloutVerdict::kFailed) << failed;
    EXPECT_EQ(rollout_verdict(failed, "info"), RolloutVerdict::kFailed) << failed;
  }
}

// Flux marks a failed reconciliation `error` whatever reason its controller gives: none of
// them may pass for progress (the deployment would wait for the timeout, blamed on silence).
TEST(RolloutVerdict, AnErrorFailsWhateverItsReason) {
  for (auto reason :
       {"PruneFailed", "DependencyNotReady", "Progressing", "ProgressingWithRetry",
        "TerraformPlannedWithChanges", "SomethingNewInFlux3", "", "ReconciliationSucceeded"}) {
    EXPECT_EQ(rollout_verdict(reason, "error"), RolloutVerdict::kFailed) << reason;
  }
}

TEST(RolloutVerdict, AnInfoEventOfAnyOtherReasonChangesNothing) {
  for (auto reason : {"Progressing", "DependencyNotReady", "ProgressingWithRetry",
                      "SomethingNewInFlux3", "", "HealthCheckSucceeded"}) {
    EXPECT_EQ(rollout_verdict(reason, "info"), RolloutVerdict::kNone) << reason;
  }
  // Flux's trace events (and a severity it may add) are not errors either.
  EXPECT_EQ(rollout_verdict("Progressing", "trace"), RolloutVerdict::kNone);
}

}  // namespace
}  // namespace juanie::pipelines
