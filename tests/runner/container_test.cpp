// The podman backend's own cases, with a real podman and a local busybox image.
#include <gtest/gtest.h>
#include <unistd.h>

#include "pipelines/pipeline_file.hpp"
#include "pipelines/plan.hpp"
#include "runner/container_sandbox.hpp"
#include "runner/pipeline_run.hpp"
#include "support/busybox_image.hpp"
#include "support/temp_dir.hpp"

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;

class ContainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { image = test::ensure_busybox_image(); }

  void SetUp() override {
    fs::permissions(home.path(), fs::perms::owner_all | fs::perms::others_exec);
    fs::create_directories(home / "workspace");
    engine.owner = container_owner(home.path().string());
  }

  PipelineResult run(const std::string& text, const std::string& default_image) {
    auto pipeline = pipelines::parse_pipeline(text, ".juanie.yml");
    EXPECT_TRUE(pipeline) << pipeline.error().message;
    return run(*pipeline, default_image);
  }

  PipelineResult run(const pipelines::Pipeline& pipeline, const std::string& default_image) {
    pipelines::RunContext ctx{
        "app", "refs/heads/main", "branch", "main", std::string(40, 'b'), std::nullopt, "push", 9};
    PipelineRunOptions options;
    options.workspace = home / "workspace";
    options.logs_dir = home / "logs";
    options.sandbox_user = default_sandbox_user();
    options.backend.kind = "podman";
    // Tests run in parallel processes: their containers must not share a name.
    options.backend.container_prefix = "juanie-container-test-" + std::to_string(::getpid());
    options.backend.engine = engine;
    options.backend.default_image = default_image;
    return run_pipeline(pipelines::plan(pipeline, ctx), options);
  }

  static inline std::string image;
  test::TempDir home;
  ContainerEngine engine;
};

TEST_F(ContainerTest, AStepWithoutAnImageNeedsADefault) {
  auto r = run("steps:\n  - name: unit\n    commands: [true]\n", "");
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].state, pipelines::StepState::kFailed);
  EXPECT_EQ(r.steps[0].reason, "step unit names no image and sandbox.default_image is not set");
}

TEST_F(ContainerTest, AnImageThatIsNotThereFailsWithTheEnginesWords) {
  auto r =
      run("steps:\n  - name: unit\n    image: localhost/juanie-no-such-image:1\n"
          "    commands: [true]\n",
          image);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].state, pipelines::StepState::kFailed);
  EXPECT_EQ(r.steps[0].reason,
            "exit code 125: the container engine could not start the step (see the log)");
  EXPECT_NE(test::read_file(r.steps[0].log).find("juanie-no-such-image"), std::string::npos);
}

TEST_F(ContainerTest, LimitsHoldInsideTheContainer) {
  auto r =
      run("steps:\n  - name: a\n    commands: [\"id -u\", \"ulimit -n\", \"ulimit -u\", "
          "\"cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max\", "
          "\"touch /etc/x || echo read-only root\"]\n",
          image);
  const auto log = test::read_file(r.steps.at(0).log);
  ASSERT_TRUE(r.succeeded) << log;
  const auto user = default_sandbox_user();
  EXPECT_NE(log.find("\n" + std::to_string(user ? user->first : ::geteuid()) + "\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("\n4096\n"), std::string::npos) << log;
  EXPECT_NE(log.find("\n512\n"), std::string::npos) << log;
  EXPECT_NE(log.find("read-only root"), std::string::npos) << log;
}

// The parser refuses such a name; should one reach the engine anyway (a pipeline built in
// code, a future caller), it is still the image, never an option: "--help" read as an option
// would make `podman run` print its help and exit 0, a step that "passed".
TEST_F(ContainerTest, AnImageNamedLikeAnOptionIsNeverReadAsOne) {
  pipelines::Pipeline pipeline;
  pipelines::Step step;
  step.name = "a";
  step.image = "--help";
  step.commands = {"touch ran"};
  pipeline.steps.push_back(step);
  auto r = run(pipeline, "");
  ASSERT_EQ(r.steps.size(), 1u);
  const auto log = test::read_file(r.steps[0].log);
  EXPECT_EQ(r.steps[0].state, pipelines::StepState::kFailed) << log;
  EXPECT_NE(log.find("invalid reference format"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(home / "workspace/ran"));
  EXPECT_EQ(test::sh("podman ps -aq --filter label=io.juanie.owner=" + engine.owner), "");
}

// What a killed daemon leaves: containers with its label, removed at its next start.
TEST_F(ContainerTest, LeftoverContainersOfThisOwnerAreRemoved) {
  ContainerEngine other = engine;
  other.owner = container_owner((home / "another-daemon").string());
  int status = 0;
  for (const auto* e : {&engine, &other}) {
    const auto out = test::sh(
        "podman run -d --ulimit nofile=1024:1024 --ulimit nproc=64:64 "
        "--label io.juanie.owner=" +
            e->owner + " " + image + " sleep 300",
        &status);
    ASSERT_EQ(status, 0) << out;
  }
  auto removed = remove_leftover_containers(engine);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(test::sh("podman ps -aq --filter label=io.juanie.owner=" + engine.owner), "");
  EXPECT_NE(test::sh("podman ps -aq --filter label=io.juanie.owner=" + other.owner), "");
  ASSERT_TRUE(remove_leftover_containers(other));
}

TEST_F(ContainerTest, AnEngineThatCannotRunIsAnError) {
  ContainerEngine missing = engine;
  missing.binary = "/nonexistent/podman";
  auto removed = remove_leftover_containers(missing);
  ASSERT_FALSE(removed);
  EXPECT_NE(removed.error().message.find("/nonexistent/podman"), std::string::npos);
}

}  // namespace
}  // namespace juanie::runner
