#pragma once

// What the RunExecutor, Deployer and DeploymentLoop component tests share: a real store (a
// temporary SQLite file), a real application repository and GitOps repository on disk (made
// with the git CLI before the test; the code under test reads them with libgit2), and fakes
// for every other side effect — steps' processes, the container engine, the GitOps pushes'
// rejections, randomness and the clock. No process is started by the code under test, no
// socket is opened, nothing sleeps.
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <stop_token>
#include <string>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/deploy/deployer.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/runs/run_executor.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/writer.hpp"
#include "pipelines/environment.hpp"
#include "pipelines/image_tag.hpp"
#include "pipelines/message_template.hpp"
#include "runner/git_checkout.hpp"
#include "runner/gitops_writer.hpp"
#include "support/busybox_image.hpp"
#include "support/hooked_commit_graph.hpp"
#include "support/manual_clock.hpp"
#include "support/pushed_repository.hpp"
#include "support/recording_engine.hpp"
#include "support/recording_processes.hpp"
#include "support/scripted_random.hpp"
#include "support/scripted_remote.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

namespace juanie::daemon::test_world {

inline constexpr const char* kImage = "registry.example.com/acme/shop";

inline const char* kDevOverlay =
    "apiVersion: kustomize.config.k8s.io/v1beta1\n"
    "kind: Kustomization\n"
    "namespace: dev\n"
    "images:\n"
    "  - name: registry.example.com/acme/shop\n"
    "    newTag: initial\n";

inline const char* kPipeline =
    "steps:\n"
    "  - {name: test, commands: [\"make test\"]}\n"
    "  - {name: lint, commands: [\"make lint\"]}\n"
    "image: {dockerfile: Dockerfile, context: .}\n";

class DeployWorld : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon.data_dir = home / "data";
    daemon.secrets_dir = home / "secrets";
    daemon.projects_dir = home / "projects";
    daemon.sandbox.memory = 0;  // no cgroup to enforce it with: nothing runs anyway
    std::filesystem::create_directories(daemon.secrets_dir.dir);
    std::filesystem::create_directories(daemon.data_dir);
    gitops_sha = gitops.commit({{"overlays/dev/kustomization.yaml", kDevOverlay}}, "init");
    project.config.name = "shop";
    project.config.repo_url = app.bare();
    project.config.image = kImage;
    project.config.gitops_url = gitops.bare();
    project.config.gitops_message = std::string(pipelines::kDefaultCommitMessage);
    project.config.environments = pipelines::default_environments();
    ASSERT_NO_FATAL_FAILURE(test::open_store(daemon.data_dir / "juanie.db", writer, reader));
    deployer.emplace(
        DeployerDeps{daemon, *writer, clock, log, gitops_writer, flow, notifier, mirrors, graph});
    executor.emplace(ExecutorDeps{daemon, *writer, clock, log, mirrors, sandbox, *deployer,
                                  notifier, processes, engine});
  }

  void TearDown() override {
    if (writer) writer->stop();
  }

  // A commit on the application's develop branch (which deploys to dev), with the pipeline.
  std::string commit_app(const std::string& version) {
    return app.commit(
        {{".juanie.yml", kPipeline}, {"Dockerfile", "FROM scratch\n"}, {"VERSION", version + "\n"}},
        "version " + version);
  }

  // A push of `sha` recorded as intake does, and started as the scheduler does.
  store::RunRecord running_run(const std::string& sha) {
    store::RunRequest request;
    request.project = "shop";
    request.forge = "github";
    request.delivery = "d-" + sha;
    request.event = "push";
    request.ref = "refs/heads/develop";
    request.ref_kind = "branch";
    request.branch = "develop";
    request.sha = sha;
    request.environment = "dev";
    request.pusher = "dev";
    std::int64_t id = 0;
    auto ok = store::write_and_wait(*writer, [&](store::Database& db) -> Result<void> {
      auto outcome = store::record_push(db, request, rfc3339(clock.now()));
      if (!outcome) return std::unexpected(outcome.error());
      id = outcome->run_id;
      return store::set_run_state(db, id, pipelines::RunState::kRunning, std::nullopt,
                                  rfc3339(clock.now()));
    });
    EXPECT_TRUE(ok) << ok.error().message;
    return run(id);
  }

  store::RunRecord run(std::int64_t id) {
    auto found = reader->with([&](store::Database& db) { return store::find_run(db, id); });
    EXPECT_TRUE(found && *found);
    return found && *found ? **found : store::RunRecord{};
  }

  std::vector<store::StepRecord> steps(std::int64_t run_id) {
    auto found = reader->with([&](store::Database& db) { return store::list_steps(db, run_id); });
    EXPECT_TRUE(found);
    return found ? *found : std::vector<store::StepRecord>{};
  }

  std::optional<store::DeploymentRecord> deployment_of(std::int64_t run_id) {
    auto found =
        reader->with([&](store::Database& db) { return store::deployment_of_run(db, run_id); });
    EXPECT_TRUE(found);
    return found ? *found : std::nullopt;
  }

  // A deployment of `r`'s image recorded straight into the store, `pending`, as another
  // Deployer (another run, or juanie trigger in another process) would have.
  store::DeploymentRecord record_deployment(const store::RunRecord& r) {
    store::DeploymentRecord d;
    d.run = r.id;
    d.project = r.project;
    d.environment = *r.environment;
    d.image = kImage;
    d.tag = pipelines::commit_tag(r.sha);
    d.digest = "sha256:" + std::string(64, 'e');
    Result<store::DeploymentRecord> created = fail("not recorded");
    auto ok = store::write_and_wait(*writer, [&](store::Database& db) -> Result<void> {
      created = store::create_deployment(db, d, rfc3339(clock.now()));
      if (!created) return std::unexpected(created.error());
      return {};
    });
    EXPECT_TRUE(ok) << ok.error().message;
    return created ? *created : store::DeploymentRecord{};
  }

  // The dev overlay as the GitOps repository's main branch has it now.
  std::string dev_overlay() {
    return test::sh("git -C " + gitops.bare() + " show main:overlays/dev/kustomization.yaml");
  }
  // Whether it names `tag` (quoted when YAML would read it as a number: 1234567, 12e4567).
  bool dev_overlay_has_tag(const std::string& tag) {
    const auto overlay = dev_overlay();
    return overlay.find("newTag: " + tag + "\n") != std::string::npos ||
           overlay.find("newTag: \"" + tag + "\"\n") != std::string::npos;
  }

  test::TempDir home;
  runner::GitLibrary library;
  test::PushedRepository app{home, "app", "develop"};
  test::PushedRepository gitops{home, "gitops", "main"};
  std::string gitops_sha;
  config::DaemonConfig daemon;
  config::LoadedProject project;
  std::unique_ptr<store::Writer> writer;
  std::optional<store::Reader> reader;
  test::ManualClock clock;
  std::ostringstream log_text;
  Log log{log_text};
  notify::Notifier notifier{daemon, nullptr};
  approvals::ApprovalFlow flow{daemon, {}, notifier};
  runner::GitMirrors mirrors{home / "data" / "mirrors"};
  test::ScriptedRemote remote;
  test::ScriptedRandom random;
  runner::GitOpsWriter gitops_writer{
      home / "data" / "gitops",
      {3, std::chrono::milliseconds(0), std::chrono::milliseconds(0)},
      &remote,
      &random};
  test::HookedCommitGraph graph;
  test::RecordingProcesses processes;
  test::RecordingEngine engine;
  runner::SandboxBackend sandbox;
  std::optional<Deployer> deployer;
  std::optional<RunExecutor> executor;
};

}  // namespace juanie::daemon::test_world
