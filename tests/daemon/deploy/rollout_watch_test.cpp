// The RolloutWatch driven in-process: a real store, real application and GitOps repositories
// (the GitOps pushes through a scripted remote), Flux's events stored as the hook stores them,
// and each pass called by the test (no worker thread, a manual clock).
#include "daemon/deploy/rollout_watch.hpp"

#include "daemon/deploy/deploy_world.hpp"
#include "daemon/store/flux_events.hpp"

namespace juanie::daemon {
namespace {

using pipelines::DeploymentState;

class RolloutWatchTest : public test_world::DeployWorld {
 protected:
  void SetUp() override {
    DeployWorld::SetUp();
    // Flux feedback on, and no rollback on failure: the verdict alone is looked at.
    project.config.flux_hmac_key = config::SecretRef{"shop.flux", "shop.yaml:1: flux.hmac_key"};
    for (auto& env : project.config.environments) env.rollback = pipelines::Rollback::kManual;
    reload();
  }

  void reload() {
    config::ProjectMap map;
    map.emplace("shop", std::make_shared<config::LoadedProject>(project));
    if (projects) {
      projects->replace(std::move(map));
    } else {
      projects.emplace(std::move(map));
    }
    if (!watch) {
      watch.emplace(RolloutWatchDeps{daemon, flow, notifier, *writer, *reader, *projects, clock,
                                     log, gitops_writer, graph, nullptr, nullptr});
    }
  }

  // A deployment of a new develop commit, committed and waiting for Flux.
  store::DeploymentRecord deploying(const std::string& version) {
    const auto sha = commit_app(version);
    auto fetched = mirrors.update(app.bare());
    EXPECT_TRUE(fetched) << fetched.error().message;
    const auto r = running_run(sha);
    deployer->deliver(r, project.config, test_world::kImage, pipelines::commit_tag(sha),
                      "sha256:" + std::string(64, 'd'));
    auto d = deployment_of(r.id);
    EXPECT_TRUE(d && d->state == DeploymentState::kDeploying) << log_text.str();
    return d ? *d : store::DeploymentRecord{};
  }

  // An event stored as POST /hooks/flux/shop stores it; its id.
  std::int64_t flux(const std::string& reason, const std::string& severity,
                    const std::string& commit, const std::string& message = "",
                    const std::string& name = "shop-dev",
                    const std::string& kube_namespace = "flux-system") {
    flux::FluxEvent e;
    e.kind = "Kustomization";
    e.name = name;
    e.namespace_ = kube_namespace;
    e.severity = severity;
    e.reason = reason;
    e.message = message;
    e.controller = "kustomize-controller";
    e.revision = "main@sha1:" + commit;
    e.commit = commit;
    std::int64_t id = 0;
    auto ok = store::write_and_wait(*writer, [&](store::Database& db) -> Result<void> {
      auto stored = store::record_flux_event(db, "shop", e, rfc3339(clock.now()));
      if (!stored) return std::unexpected(stored.error());
      id = stored->id;
      return {};
    });
    EXPECT_TRUE(ok) << ok.error().message;
    return id;
  }

  std::string outcome_of(std::int64_t event) {
    auto found = reader->with([&](store::Database& db) -> Result<std::string> {
      auto stmt = db.prepare("SELECT coalesce(outcome, '(none)') FROM flux_events WHERE id = ?1");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->bind(1, event);
      auto row = stmt->step();
      if (!row) return std::unexpected(row.error());
      return *row ? stmt->text(0) : std::string("(missing)");
    });
    return found ? *found : found.error().message;
  }

  store::DeploymentRecord current(std::int64_t id) {
    auto found = reader->with([&](store::Database& db) { return store::find_deployment(db, id); });
    EXPECT_TRUE(found && *found);
    return found && *found ? **found : store::DeploymentRecord{};
  }

  // A commit pushed to the GitOps branch by someone else (an operator) on top of what is
  // there now, juanie's pushes included; juanie's clone has not seen it.
  std::string operators_commit(const std::string& text) {
    test::sh("git -C " + gitops.work() + " pull -q --ff-only " + gitops.bare() + " main");
    return gitops.commit({{"NOTES.md", text + "\n"}}, "operator: " + text, "Ops <ops@example.com>");
  }

  std::optional<ProjectRegistry> projects;
  std::optional<RolloutWatch> watch;  // never started: the test calls pass()
};

// A daemon that was down for longer than rollout_timeout does not fail (and roll back) the
// rollouts it left waiting at its first pass: Flux's words of that time are lost, so each
// gets a whole timeout from the start.
TEST_F(RolloutWatchTest, ARolloutLeftWaitingByADownDaemonGetsAWholeTimeoutFromItsStart) {
  const auto d = deploying("1");
  ASSERT_TRUE(d.gitops_commit);
  clock.advance(std::chrono::hours(2));  // down for two hours (the timeout is 10 minutes)
  watch.reset();                         // and started again
  reload();
  watch->pass();
  EXPECT_EQ(current(d.id).state, DeploymentState::kDeploying);
  clock.advance(std::chrono::minutes(9));
  watch->pass();
  EXPECT_EQ(current(d.id).state, DeploymentState::kDeploying);
  clock.advance(std::chrono::minutes(1));
  watch->pass();
  const auto after = current(d.id);
  EXPECT_EQ(after.state, DeploymentState::kFailed);
  EXPECT_NE(after.reason.value_or("").find("no word from Flux"), std::string::npos)
      << after.reason.value_or("");
}

// An `error` event fails the rollout whatever reason Flux gives it, with Flux's message.
TEST_F(RolloutWatchTest, AnErrorEventOfAnyReasonFailsTheRolloutWithFluxsMessage) {
  const auto d = deploying("1");
  ASSERT_TRUE(d.gitops_commit);
  const auto event =
      flux("PruneFailed", "error", *d.gitops_commit,
           "failed to delete Deployment/dev/shop-old: deployments.apps is forbidden");
  watch->pass();
  EXPECT_EQ(outcome_of(event), "applied");
  const auto after = current(d.id);
  EXPECT_EQ(after.state, DeploymentState::kFailed);
  EXPECT_EQ(after.reason.value_or(""),
            "Flux: PruneFailed: failed to delete Deployment/dev/shop-old: deployments.apps is "
            "forbidden");
}

// Even a reason that, as info, only tells progress: as an error it is a failure.
TEST_F(RolloutWatchTest, AnErrorEventWithAProgressReasonFailsTheRolloutToo) {
  const auto d = deploying("1");
  ASSERT_TRUE(d.gitops_commit);
  const auto event = flux("DependencyNotReady", "error", *d.gitops_commit,
                          "dependency 'flux-system/infra' revision is not up to date");
  watch->pass();
  EXPECT_EQ(outcome_of(event), "applied");
  const auto after = current(d.id);
  EXPECT_EQ(after.state, DeploymentState::kFailed);
  EXPECT_EQ(after.reason.value_or(""),
            "Flux: DependencyNotReady: dependency 'flux-system/infra' revision is not up to date");
}

// An info event of a reason the daemon does not know changes nothing; the verdict that comes
// after it still decides.
TEST_F(RolloutWatchTest, AnInfoEventOfAnUnknownReasonChangesNothing) {
  const auto d = deploying("1");
  ASSERT_TRUE(d.gitops_commit);
  const auto noise = flux("SomethingNewInFlux", "info", *d.gitops_commit, "all is fine, maybe");
  const auto progress = flux("Progressing", "info", *d.gitops_commit, "applying");
  watch->pass();
  EXPECT_EQ(outcome_of(noise), "no_verdict");
  EXPECT_EQ(outcome_of(progress), "no_verdict");
  EXPECT_EQ(current(d.id).state, DeploymentState::kDeploying);
  const auto done = flux("ReconciliationSucceeded", "info", *d.gitops_commit, "Applied revision");
  watch->pass();
  EXPECT_EQ(outcome_of(done), "applied");
  EXPECT_EQ(current(d.id).state, DeploymentState::kSuccess);
}

// Flux names each object by namespace and name: the environment's Kustomization is
// flux-system/shop-dev (what `project init` generates); the same name elsewhere is another
// object — another tenant's, a copy — and its news changes nothing.
TEST_F(RolloutWatchTest, AKustomizationOfTheSameNameInAnotherNamespaceChangesNothing) {
  const auto d = deploying("1");
  ASSERT_TRUE(d.gitops_commit);
  const auto elsewhere = flux("HealthCheckFailed", "error", *d.gitops_commit, "Health check failed",
                              "shop-dev", "team-b");
  const auto unnamed =
      flux("ReconciliationSucceeded", "info", *d.gitops_commit, "Applied", "shop-dev", "");
  watch->pass();
  EXPECT_EQ(outcome_of(elsewhere), "other_environment");
  EXPECT_EQ(outcome_of(unnamed), "other_environment");
  EXPECT_EQ(current(d.id).state, DeploymentState::kDeploying);
  const auto own = flux("ReconciliationSucceeded", "info", *d.gitops_commit, "Applied");
  watch->pass();
  EXPECT_EQ(outcome_of(own), "applied");
  EXPECT_EQ(current(d.id).state, DeploymentState::kSuccess);
}

// flux.kustomizations may place the environment's Kustomization in a namespace of its own:
// then that namespace is the one that counts, flux-system's namesake none.
TEST_F(RolloutWatchTest, AMappedNamespaceIsTheOneThatCounts) {
  project.config.flux_kustomizations["dev"] = config::FluxObjectRef{"apps", "shop-dev"};
  reload();
  const auto d = deploying("1");
  ASSERT_TRUE(d.gitops_commit);
  const auto namesake = flux("HealthCheckFailed", "error", *d.gitops_commit, "Health check failed");
  watch->pass();
  EXPECT_EQ(outcome_of(namesake), "other_environment");
  EXPECT_EQ(current(d.id).state, DeploymentState::kDeploying);
  const auto own = flux("HealthCheckFailed", "error", *d.gitops_commit, "Health check failed",
                        "shop-dev", "apps");
  watch->pass();
  EXPECT_EQ(outcome_of(own), "applied");
  EXPECT_EQ(current(d.id).state, DeploymentState::kFailed);
}

// Flux reports the branch's tip: an operator's commit after juanie's push carries the
// deployment's change, and its success is the deployment's (juanie's clone fetches it first).
TEST_F(RolloutWatchTest, AnOperatorsLaterCommitDecidesTheDeploymentItCarries) {
  const auto d = deploying("1");
  ASSERT_TRUE(d.gitops_commit);
  const auto tip = operators_commit("scaled shop to 3 replicas");
  const auto event =
      flux("ReconciliationSucceeded", "info", tip, "Applied revision: main@sha1:" + tip);
  watch->pass();
  EXPECT_EQ(outcome_of(event), "applied") << log_text.str();
  EXPECT_EQ(current(d.id).state, DeploymentState::kSuccess);
}

// While the GitOps repository cannot be fetched, an event naming a commit juanie has not seen
// waits (no outcome) — and the rollout does not time out under it —; once the fetch works, it
// decides the deployment.
TEST_F(RolloutWatchTest, AnEventOfAnUnseenCommitWaitsWhileTheFetchFails) {
  const auto d = deploying("1");
  ASSERT_TRUE(d.gitops_commit);
  const auto tip = operators_commit("scaled shop to 3 replicas");
  const std::filesystem::path bare = gitops.bare();
  const auto away = bare.string() + ".away";
  std::filesystem::rename(bare, away);
  const auto event = flux("HealthCheckFailed", "error", tip, "Health check failed");
  watch->pass();
  clock.advance(std::chrono::seconds(3600));  // far past limits.rollout_timeout
  watch->pass();
  EXPECT_EQ(outcome_of(event), "(none)");
  EXPECT_EQ(current(d.id).state, DeploymentState::kDeploying);
  const auto text = log_text.str();
  EXPECT_NE(text.find("waits: cannot fetch"), std::string::npos) << text;
  EXPECT_EQ(text.find("waits: cannot fetch"), text.rfind("waits: cannot fetch")) << "logged once";
  std::filesystem::rename(away, bare);
  watch->pass();
  EXPECT_EQ(outcome_of(event), "applied") << log_text.str();
  EXPECT_EQ(current(d.id).state, DeploymentState::kFailed);
}

// Deployer::write pushes its commit, then records it: an event of that commit arriving in
// between waits for the record (not given to the older deployment the commit descends from,
// nor called unknown), while other environments' events go on; the record in, it decides.
TEST_F(RolloutWatchTest, AnEventBeforeItsDeploymentsRecordWaitsForTheRecord) {
  const auto older = deploying("1");
  ASSERT_TRUE(older.gitops_commit);
  // The next deployment as Deployer::write leaves it between its push and its record.
  const auto sha = commit_app("2");
  ASSERT_TRUE(mirrors.update(app.bare()));
  const auto d = record_deployment(running_run(sha));
  auto ok = store::write_and_wait(*writer, [&](store::Database& db) {
    return store::set_deployment_state(db, d.id, DeploymentState::kRunning, std::nullopt,
                                       std::nullopt, rfc3339(clock.now()));
  });
  ASSERT_TRUE(ok) << ok.error().message;
  const auto pushed = operators_commit("the change of deployment 2");  // stands for its push
  const auto early = flux("ReconciliationSucceeded", "info", pushed, "Applied revision");
  const auto behind = flux("HealthCheckFailed", "error", pushed, "Health check failed");
  const auto staging =
      flux("ReconciliationSucceeded", "info", pushed, "Applied revision", "shop-staging");
  watch->pass();
  EXPECT_EQ(outcome_of(early), "(none)") << log_text.str();
  EXPECT_EQ(outcome_of(behind), "(none)");             // in order: it waits behind the first
  EXPECT_EQ(outcome_of(staging), "unknown_revision");  // not stalled behind dev's
  EXPECT_EQ(current(older.id).state, DeploymentState::kDeploying);
  EXPECT_EQ(current(d.id).state, DeploymentState::kRunning);
  // The record lands, as Deployer::record makes it.
  ok = store::write_and_wait(*writer, [&](store::Database& db) {
    return flow.finish(db, project.config, d.id, DeploymentState::kDeploying, std::nullopt, pushed,
                       clock.now());
  });
  ASSERT_TRUE(ok) << ok.error().message;
  watch->pass();
  EXPECT_EQ(outcome_of(early), "applied") << log_text.str();
  EXPECT_EQ(outcome_of(behind), "stale");
  EXPECT_EQ(current(d.id).state, DeploymentState::kSuccess);
  const auto replaced = current(older.id);
  EXPECT_EQ(replaced.state, DeploymentState::kFailed);
  EXPECT_EQ(replaced.reason.value_or(""),
            "replaced by deployment " + std::to_string(d.id) + " before Flux reported on it");
}

}  // namespace
}  // namespace juanie::daemon
