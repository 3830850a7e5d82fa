// The Deployer driven in-process: a real store, real application and GitOps repositories, the
// GitOps pushes through a scripted remote and the commit comparisons through a hooked graph,
// so that the moments the Deployer races with others are the test's to choose.
#include "daemon/deploy/deployer.hpp"

#include "daemon/deploy/deploy_world.hpp"
#include "daemon/deploy/rollback.hpp"

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
  EXPECT_TRUE(dev_overlay_has_tag(pipelines::commit_tag(sha)));
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
  EXPECT_TRUE(dev_overlay_has_tag(pipelines::commit_tag(sha)));
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

// A shallow mirror (repo.depth: 1): a push that descends from what dev runs goes; a commit
// whose place in history lies past the depth is not taken for older or newer, and says why.
TEST_F(DeployerTest, AShallowMirrorDeploysNewerCommitsAndSaysWhenItCannotCompare) {
  const auto first = commit_app("1");
  const auto second = commit_app("2");
  const auto third = commit_app("3");
  ASSERT_TRUE(mirrors.update(app.bare(), {}, {1, ""}));
  deliver(running_run(third));
  ASSERT_EQ(test::sh("git -C " + mirrors.path_for(app.bare()).string() +
                     " rev-parse --is-shallow-repository"),
            "true\n");
  const auto fourth = commit_app("4");
  ASSERT_TRUE(mirrors.update(app.bare(), {}, {1, ""}));
  const auto newer = running_run(fourth);
  deliver(newer);
  auto went = deployment_of(newer.id);
  ASSERT_TRUE(went);
  EXPECT_EQ(went->state, pipelines::DeploymentState::kSuccess)
      << went->reason.value_or("") << log_text.str();
  EXPECT_TRUE(dev_overlay_has_tag(pipelines::commit_tag(fourth)));

  // The third commit names the second as its parent, so the second is known to come before
  // the fourth without being fetched; the first is past what the mirror can tell.
  const auto parent_of_third = running_run(second);
  deliver(parent_of_third);
  auto older = deployment_of(parent_of_third.id);
  ASSERT_TRUE(older);
  EXPECT_NE(older->reason.value_or("").find("is older than " + fourth.substr(0, 12)),
            std::string::npos)
      << older->reason.value_or("");
  const auto replay = running_run(first);
  deliver(replay);
  auto held = deployment_of(replay.id);
  ASSERT_TRUE(held);
  EXPECT_NE(held->state, pipelines::DeploymentState::kSuccess);
  EXPECT_NE(held->reason.value_or("").find("the mirror is shallow (repo.depth)"), std::string::npos)
      << held->reason.value_or("");
  EXPECT_TRUE(dev_overlay_has_tag(pipelines::commit_tag(fourth))) << "dev stays on the fourth";
}

// A rollback that waited (for approval, for its turn) is checked again when it goes: a newer
// deployment that changed the environment meanwhile is not undone by it.
TEST_F(DeployerTest, AWaitingRollbackThatANewerDeploymentOvertookFailsInsteadOfUndoingIt) {
  std::vector<store::RunRecord> runs;
  for (const char* version : {"1", "2", "3"}) {
    const auto sha = commit_app(version);
    fetch_app();
    runs.push_back(running_run(sha));
  }
  auto deliver_version = [&](std::size_t i) {
    deployer->deliver(runs[i], project.config, test_world::kImage,
                      pipelines::commit_tag(runs[i].sha),
                      "sha256:" + std::string(64, static_cast<char>('a' + i)));
    auto d = deployment_of(runs[i].id);
    EXPECT_TRUE(d && d->state == pipelines::DeploymentState::kSuccess) << log_text.str();
    return *d;
  };
  deliver_version(0);
  const auto second = deliver_version(1);
  // A rollback of the second is recorded (dev: no gate, so it may go at once) ...
  RollbackStart rollback;
  auto ok = store::write_and_wait(*writer, [&](store::Database& db) -> Result<void> {
    auto started = start_rollback(db, flow, project.config, second, {}, "ops", "", clock.now());
    if (!started) return std::unexpected(started.error());
    rollback = *started;
    return {};
  });
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(rollback.next, approvals::Next::kCarryOut);
  EXPECT_EQ(rollback.deployment.tag, pipelines::commit_tag(runs[0].sha));
  // ... but before it is carried out the third one is deployed.
  deliver_version(2);
  const auto calls = remote.calls().size();
  deployer->carry_out(rollback.deployment, runs[0], project.config);

  auto after = reader->with(
      [&](store::Database& db) { return store::find_deployment(db, rollback.deployment.id); });
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->state, pipelines::DeploymentState::kFailed);
  EXPECT_NE((*after)->reason.value_or("").find("this rollback would undo it"), std::string::npos)
      << (*after)->reason.value_or("");
  EXPECT_EQ(remote.calls().size(), calls) << "nothing fetched or pushed";
  // (A tag that YAML would read as a number is written quoted: look for the tag itself.)
  EXPECT_NE(dev_overlay().find(pipelines::commit_tag(runs[2].sha)), std::string::npos)
      << dev_overlay();
}

}  // namespace
}  // namespace juanie::daemon
