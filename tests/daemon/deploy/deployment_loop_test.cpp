// The DeploymentLoop driven in-process: each pass is called by the test (no worker thread),
// time is a manual clock, and the GitOps pushes go through a scripted remote.
#include "daemon/deploy/deployment_loop.hpp"

#include "daemon/deploy/deploy_world.hpp"

namespace juanie::daemon {
namespace {

using pipelines::DeploymentState;

class DeploymentLoopTest : public test_world::DeployWorld {
 protected:
  void SetUp() override {
    DeployWorld::SetUp();
    config::ProjectMap map;
    map.emplace("shop", std::make_shared<config::LoadedProject>(project));
    projects.emplace(std::move(map));
    loop.emplace(
        DeploymentLoopDeps{*deployer, flow, notifier, *writer, *reader, *projects, clock, log});
  }

  void set_state(std::int64_t id, DeploymentState to) {
    auto ok = store::write_and_wait(*writer, [&](store::Database& db) {
      return store::set_deployment_state(db, id, to, std::nullopt, std::nullopt,
                                         rfc3339(clock.now()));
    });
    ASSERT_TRUE(ok) << ok.error().message;
  }

  std::string state_of(std::int64_t id) {
    auto found = reader->with([&](store::Database& db) { return store::find_deployment(db, id); });
    return found && *found ? std::string(pipelines::to_string((*found)->state)) : "missing";
  }

  std::optional<ProjectRegistry> projects;
  std::optional<DeploymentLoop> loop;  // never started: the test calls pass()
};

// A deployment someone released (approved, or triggered from another process) is `running`
// with nobody carrying it out: the next pass writes it.
TEST_F(DeploymentLoopTest, APassCarriesOutARunningDeploymentNobodyIsWriting) {
  const auto sha = commit_app("1");
  const auto r = running_run(sha);
  const auto d = record_deployment(r);
  set_state(d.id, DeploymentState::kRunning);
  EXPECT_TRUE(remote.calls().empty());

  loop->pass(false);

  EXPECT_EQ(state_of(d.id), "success") << log_text.str();
  EXPECT_EQ(remote.calls(), (std::vector<std::string>{"fetch", "push"}));
  EXPECT_TRUE(dev_overlay_has_tag(pipelines::commit_tag(sha)));
  // Done is done: another pass writes nothing more.
  loop->pass(false);
  EXPECT_EQ(remote.calls().size(), 2u);
}

// A deployment waiting for approvals is cancelled by the first pass after its deadline, and
// not by one before it: the clock, not the pass, decides.
TEST_F(DeploymentLoopTest, AWaitingDeploymentIsCancelledByThePassAfterItsDeadline) {
  const auto sha = commit_app("1");
  const auto r = running_run(sha);
  const auto d = record_deployment(r);
  set_state(d.id, DeploymentState::kAwaitingApproval);
  auto ok = store::write_and_wait(*writer, [&](store::Database& db) {
    return store::set_deployment_expiry(db, d.id, rfc3339(clock.now() + std::chrono::hours(1)));
  });
  ASSERT_TRUE(ok) << ok.error().message;

  loop->pass(false);
  EXPECT_EQ(state_of(d.id), "awaiting_approval");
  clock.advance(std::chrono::minutes(59));
  loop->pass(false);
  EXPECT_EQ(state_of(d.id), "awaiting_approval");
  clock.advance(std::chrono::minutes(2));
  loop->pass(false);
  EXPECT_EQ(state_of(d.id), "cancelled") << log_text.str();
  EXPECT_TRUE(remote.calls().empty());
}

}  // namespace
}  // namespace juanie::daemon
