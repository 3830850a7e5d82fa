// The RunExecutor driven in-process over a real store and real repositories, with recording
// fakes for each step's process and for the container engine: a run's steps succeed, fail or
// are cancelled, its image is built and pushed or refused, and what the store records is read
// back. See deploy/deploy_world.hpp for the world it runs in.
#include "daemon/runs/run_executor.hpp"

#include "daemon/deploy/deploy_world.hpp"

namespace juanie::daemon {
namespace {

using Answer = test::RecordingProcesses::Answer;

class RunExecutorTest : public test_world::DeployWorld {
 protected:
  void execute(const store::RunRecord& r) {
    executor->execute(r, project, cancel.get_token(), shutdown.get_token());
  }
  std::stop_source cancel, shutdown;
};

std::vector<std::string> states(const std::vector<store::StepRecord>& steps) {
  std::vector<std::string> out;
  for (const auto& s : steps)
    out.push_back(s.name + " " + std::string(pipelines::to_string(s.state)));
  return out;
}

TEST_F(RunExecutorTest, StepsThatSucceedBuildPushAndDeployTheImage) {
  const auto sha = commit_app("1");
  processes.answer_with({Answer{0, "tests passed\n"}, Answer{0, "lint clean\n"}});
  const auto r = running_run(sha);
  execute(r);

  EXPECT_EQ(run(r.id).state, pipelines::RunState::kSucceeded) << log_text.str();
  EXPECT_EQ(states(steps(r.id)),
            (std::vector<std::string>{"test succeeded", "lint succeeded", "image succeeded"}));
  ASSERT_EQ(processes.calls().size(), 2u);
  // Each step's output reached its log.
  const auto recorded = steps(r.id);
  ASSERT_TRUE(recorded[0].log);
  EXPECT_NE(test::sh("cat " + *recorded[0].log).find("tests passed"), std::string::npos);
  ASSERT_EQ(engine.requests().size(), 1u);
  EXPECT_EQ(engine.requests()[0].reference,
            std::string(test_world::kImage) + ":" + pipelines::commit_tag(sha));
  EXPECT_EQ(engine.requests()[0].workspace, executor->workspace(r.id));
  // The deployment went to dev at once (no gate there): committed and pushed to the overlay.
  auto d = deployment_of(r.id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, pipelines::DeploymentState::kSuccess) << d->reason.value_or("");
  EXPECT_EQ(d->digest, "sha256:" + std::string(64, 'd'));
  EXPECT_EQ(remote.calls(), (std::vector<std::string>{"fetch", "push"}));
  EXPECT_TRUE(dev_overlay_has_tag(pipelines::commit_tag(sha))) << dev_overlay();
  // A succeeded run's workspace goes.
  EXPECT_FALSE(std::filesystem::exists(executor->workspace(r.id)));
}

// What the metrics hear (juanie_run_duration_seconds, juanie_step_duration_seconds): each step
// that ran with its result — skipped ones did not run —, and the run's end with the time since
// its start. The clock moves 45 s while the first step runs.
TEST_F(RunExecutorTest, TheObserverHearsEachStepThatRanAndTheRunsEnd) {
  std::vector<std::string> heard;
  RunObserver observer;
  observer.step_ended = [&heard](std::string_view result, double) {
    heard.push_back("step " + std::string(result));
  };
  observer.run_ended = [&heard](std::string_view result, double seconds) {
    heard.push_back("run " + std::string(result) + " " + std::to_string(static_cast<int>(seconds)));
  };
  executor.emplace(ExecutorDeps{daemon, *writer, clock, log, mirrors, sandbox, *deployer, notifier,
                                processes, engine, observer});
  const auto sha = commit_app("1");
  processes.answer_with({Answer{0, "", [this] { clock.advance(std::chrono::seconds(45)); }}});
  execute(running_run(sha));
  EXPECT_EQ(heard, (std::vector<std::string>{"step succeeded", "step succeeded", "step succeeded",
                                             "run succeeded 45"}));

  heard.clear();
  processes.answer_with({Answer{2, "2 tests failed\n"}});
  execute(running_run(commit_app("2")));
  EXPECT_EQ(heard, (std::vector<std::string>{"step failed", "run failed 0"}));

  heard.clear();
  processes.answer_with({Answer{0, "", [this] { cancel.request_stop(); }}});
  execute(running_run(commit_app("3")));
  EXPECT_EQ(heard, (std::vector<std::string>{"step cancelled", "run cancelled 0"}));
}

TEST_F(RunExecutorTest, AFailingStepFailsTheRunAndSkipsTheRest) {
  const auto sha = commit_app("1");
  processes.answer_with({Answer{2, "2 tests failed\n"}});
  const auto r = running_run(sha);
  execute(r);

  const auto after = run(r.id);
  EXPECT_EQ(after.state, pipelines::RunState::kFailed);
  EXPECT_EQ(after.reason.value_or(""), "step test failed: exit code 2");
  EXPECT_EQ(states(steps(r.id)), (std::vector<std::string>{"test failed", "lint skipped"}));
  EXPECT_EQ(processes.calls().size(), 1u) << "a step after the failed one was started";
  EXPECT_TRUE(engine.requests().empty()) << "a failed run's image was built";
  EXPECT_FALSE(deployment_of(r.id));
  // A failed run keeps its workspace, for a retry from the failed step.
  EXPECT_TRUE(std::filesystem::exists(executor->workspace(r.id)));
}

TEST_F(RunExecutorTest, ACancelDuringAStepCancelsTheRun) {
  const auto sha = commit_app("1");
  processes.answer_with({Answer{0, "started\n", [this] { cancel.request_stop(); }}});
  const auto r = running_run(sha);
  execute(r);

  EXPECT_EQ(run(r.id).state, pipelines::RunState::kCancelled);
  EXPECT_EQ(states(steps(r.id)), (std::vector<std::string>{"test cancelled", "lint skipped"}));
  EXPECT_EQ(processes.calls().size(), 1u);
  EXPECT_TRUE(engine.requests().empty());
  EXPECT_FALSE(deployment_of(r.id));
}

TEST_F(RunExecutorTest, AShutdownDuringAStepQueuesTheRunAgain) {
  const auto sha = commit_app("1");
  processes.answer_with({Answer{0, "", [this] { shutdown.request_stop(); }}});
  const auto r = running_run(sha);
  execute(r);

  const auto after = run(r.id);
  EXPECT_EQ(after.state, pipelines::RunState::kQueued);
  EXPECT_EQ(after.reason.value_or(""), "the daemon stopped; queued again");
  EXPECT_TRUE(steps(r.id).empty()) << "the stopped attempt's steps stayed";
}

TEST_F(RunExecutorTest, ARefusedImagePushFailsTheRunAndDeploysNothing) {
  const auto sha = commit_app("1");
  engine.fail_with("podman push: denied: requested access to the resource is denied");
  const auto r = running_run(sha);
  execute(r);

  const auto after = run(r.id);
  EXPECT_EQ(after.state, pipelines::RunState::kFailed);
  EXPECT_EQ(after.reason.value_or(""),
            "image: podman push: denied: requested access to the resource is denied");
  EXPECT_EQ(states(steps(r.id)),
            (std::vector<std::string>{"test succeeded", "lint succeeded", "image failed"}));
  EXPECT_FALSE(deployment_of(r.id));
  EXPECT_TRUE(remote.calls().empty());
  EXPECT_NE(dev_overlay().find("newTag: initial"), std::string::npos);
}

}  // namespace
}  // namespace juanie::daemon
