// The Deployer driven in-process: a real store, real application and GitOps repositories, the
// GitOps pushes through a scripted remote and the commit comparisons through a hooked graph,
// so that the moments the Deployer races with others are the test's to choose.
#include "daemon/deploy/deployer.hpp"

#include "daemon/deploy/deploy_world.hpp"

namespace juanie::daemon {
namespace {

class DeployerTest : public test_world::DeployWorld {
 protected:
  void deliver(const store::RunRecord& r) {
    deployer->deliver(r, project.config, test_world::kImage, pipelines::commit_tag(r.sha),
                      "sha256:" + std::string(64, 'd'));
  }
  void fetch_app() {
    auto fetched = mirrors.update(app.bare());
    ASSERT_TRUE(fetched) << fetched.error().message;
  }
};

TEST_F(DeployerTest, AnImageGoesToDevAsOneGitOpsCommit) {
  const auto sha = commit_app("1");
  fetch_app();
  const auto r = running_run(sha);
  deliver(r);
  auto d = deployment_of(r.id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, pipelines::DeploymentState::kSuccess)
      << d->reason.value_or("") << log_text.str();
  EXPECT_EQ(remote.calls(), (std::vector<std::string>{"fetch", "push"}));
  EXPECT_NE(dev_overlay().find("newTag: " + pipelines::commit_tag(sha)), std::string::npos);
  EXPECT_EQ(d->gitops_commit.value_or(""),
            test::sh("git -C " + gitops.bare() + " rev-parse main").substr(0, 40));
}

TEST_F(DeployerTest, AGitOpsPushRejectedOnceIsRedoneAndRecorded) {
  const auto sha = commit_app("1");
  fetch_app();
  const auto r = running_run(sha);
  remote.reject_next(1);
  deliver(r);
  auto d = deployment_of(r.id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, pipelines::DeploymentState::kSuccess) << d->reason.value_or("");
  EXPECT_EQ(remote.calls(), (std::vector<std::string>{"fetch", "push rejected", "fetch", "push"}));
  EXPECT_NE(dev_overlay().find("newTag: " + pipelines::commit_tag(sha)), std::string::npos);
}

TEST_F(DeployerTest, GitOpsPushesRejectedEveryTimeFailTheDeployment) {
  const auto sha = commit_app("1");
  fetch_app();
  const auto r = running_run(sha);
  remote.reject_next(3);
  deliver(r);
  auto d = deployment_of(r.id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, pipelines::DeploymentState::kFailed);
  EXPECT_NE(d->reason.value_or("").find("gave up after 3 pushes to main"), std::string::npos)
      << d->reason.value_or("");
  EXPECT_NE(dev_overlay().find("newTag: initial"), std::string::npos) << "the overlay moved";
}

// The backwards check compares commits outside the writer; the record is made in a transaction
// that looks again. Here a newer deployment (of a later commit) is recorded for dev exactly
// between the first look and that transaction: the older deployment must then wait for a
// person, neither going to dev nor cancelling the newer one as superseded.
TEST_F(DeployerTest, ANewerDeploymentRecordedDuringTheCheckKeepsTheOlderOneBack) {
  const auto older_sha = commit_app("1");
  const auto newer_sha = commit_app("2");
  fetch_app();
  const auto older = running_run(older_sha);
  const auto newer = running_run(newer_sha);
  std::int64_t newer_deployment = 0;
  graph.before_first_comparison([&] { newer_deployment = record_deployment(newer).id; });

  deliver(older);

  ASSERT_NE(newer_deployment, 0) << "the check compared no commits; the test proves nothing";
  auto d = deployment_of(older.id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, pipelines::DeploymentState::kPending) << log_text.str();
  EXPECT_NE(d->reason.value_or("").find("is older than " + newer_sha.substr(0, 12)),
            std::string::npos)
      << d->reason.value_or("");
  EXPECT_EQ(deployment_of(newer.id)->state, pipelines::DeploymentState::kPending)
      << "the newer deployment was superseded";
  EXPECT_TRUE(remote.calls().empty()) << "the older commit went to dev";
  EXPECT_NE(dev_overlay().find("newTag: initial"), std::string::npos);
}

}  // namespace
}  // namespace juanie::daemon
