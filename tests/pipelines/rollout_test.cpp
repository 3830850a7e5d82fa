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

TEST(RolloutVerdict, ByReasonThenSeverity) {
  EXPECT_EQ(rollout_verdict("ReconciliationSucceeded", "info"), RolloutVerdict::kHealthy);
  for (auto failed :
       {"HealthCheckFailed", "ReconciliationFailed", "BuildFailed", "ArtifactFailed"}) {
    EXPECT_EQ(rollout_verdict(failed, "error"), RolloutVerdict::kFailed) << failed;
    EXPECT_EQ(rollout_verdict(failed, "info"), RolloutVerdict::kFailed) << failed;
  }
  EXPECT_EQ(rollout_verdict("Progressing", "info"), RolloutVerdict::kNone);
  EXPECT_EQ(rollout_verdict("DependencyNotReady", "error"), RolloutVerdict::kNone);
  EXPECT_EQ(rollout_verdict("PruneFailed", "error"), RolloutVerdict::kFailed);
  EXPECT_EQ(rollout_verdict("Something", "info"), RolloutVerdict::kNone);
}

}  // namespace
}  // namespace juanie::pipelines
