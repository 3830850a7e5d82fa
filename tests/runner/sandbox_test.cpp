// The sandbox escape battery: real bubblewrap, real processes. Each case is something a
// hostile or broken step would try; each must fail or be contained.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pipelines/pipeline_file.hpp"
#include "pipelines/plan.hpp"
#include "runner/pipeline_run.hpp"
#include "support/temp_dir.hpp"

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Stand-ins for what the daemon owns: a database, a config file and a secrets directory,
    // one of them under /etc where the sandbox binds the host's /etc read-only.
    data_dir = home / "data";
    fs::create_directories(data_dir);
    std::ofstream(data_dir / "juanie.db") << "SQLite format 3";
    std::ofstream(home / "juanie.yaml") << "data_dir: data\n";
    etc_secrets = fs::path("/etc") / ("juanie-sandbox-test-" + std::to_string(::getpid()));
    fs::create_directories(etc_secrets);
    std::ofstream(etc_secrets / "shop-api.webhook") << "webhook-secret-value";
    workspace = home / "workspaces/1";
    fs::create_directories(workspace);
    // As the daemon lays out data_dir: the sandbox user may pass through, not list.
    for (const fs::path& dir : {home.path(), home / "workspaces"}) {
      fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    }
    other = home / "workspaces/2";
    fs::create_directories(other);
    std::ofstream(other / "other-run.txt") << "private to run 2";
  }
  void TearDown() override { fs::remove_all(etc_secrets); }

  PipelineResult run(const std::string& pipeline_text, std::uint64_t log_max = 1 << 20,
                     std::map<std::string, std::string> secrets = {}) {
    auto pipeline = pipelines::parse_pipeline(pipeline_text, ".juanie.yml");
    EXPECT_TRUE(pipeline) << pipeline.error().message;
    pipelines::RunContext ctx{
        "shop-api", "refs/heads/develop", "branch", "develop", std::string(40, 'a'), "dev", "push",
        1};
    PipelineRunOptions options;
    options.workspace = workspace;
    options.logs_dir = home / "logs/1";
    options.log_max = log_max;
    options.default_timeout = 20s;
    options.hidden = {data_dir, home / "juanie.yaml", etc_secrets};
    options.limits.processes = 200;
    options.secrets = std::move(secrets);
    options.secrets_allowed = true;
    options.sandbox_user = default_sandbox_user();
    return run_pipeline(pipelines::plan(*pipeline, ctx), options);
  }

  std::string log_of(const PipelineResult& r, std::size_t step = 0) {
    return test::read_file(r.steps.at(step).log);
  }

  test::TempDir home;
  fs::path data_dir, etc_secrets, workspace, other;
};

TEST_F(SandboxTest, AStepRunsInItsWorkspaceWithItsVariables) {
  auto r = run("steps:\n  - name: a\n    commands: [\"echo $JUANIE_BRANCH > out.txt\", \"pwd\"]\n");
  ASSERT_TRUE(r.succeeded) << log_of(r);
  EXPECT_EQ(test::read_file(workspace / "out.txt"), "develop\n");
  EXPECT_NE(log_of(r).find("/workspace"), std::string::npos);
}

TEST_F(SandboxTest, CannotReadTheDaemonsDatabaseConfigOrSecrets) {
  for (const fs::path& target :
       {data_dir / "juanie.db", home / "juanie.yaml", etc_secrets / "shop-api.webhook"}) {
    auto r = run("steps:\n  - name: a\n    commands: [\"cat " + target.string() + "\"]\n");
    EXPECT_FALSE(r.succeeded) << target;
    EXPECT_EQ(log_of(r).find("webhook-secret-value"), std::string::npos);
    EXPECT_EQ(log_of(r).find("SQLite format 3"), std::string::npos);
  }
  // The host's /etc is there, read-only, minus the daemon's part of it.
  auto r = run("steps:\n  - name: a\n    commands: [\"test -f /etc/passwd\", \"ls " +
               etc_secrets.string() + " | wc -l\"]\n");
  ASSERT_TRUE(r.succeeded) << log_of(r);
  EXPECT_NE(log_of(r).find("\n0\n"), std::string::npos) << log_of(r);
}

TEST_F(SandboxTest, CannotSeeAnotherRunsWorkspace) {
  auto r = run("steps:\n  - name: a\n    commands: [\"cat " + (other / "other-run.txt").string() +
               "\"]\n  - name: b\n    commands: [\"cat ../2/other-run.txt\"]\n");
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(log_of(r).find("private to run 2"), std::string::npos);
}

TEST_F(SandboxTest, CannotWriteOutsideItsWorkspace) {
  for (const char* target : {"/usr/juanie-escape", "/etc/juanie-escape"}) {
    auto r = run(std::string("steps:\n  - name: a\n    commands: [\"touch ") + target + "\"]\n");
    EXPECT_FALSE(r.succeeded) << target;
    EXPECT_FALSE(fs::exists(target));
  }
  // /tmp is the step's own.
  const fs::path marker = fs::path("/tmp") / ("juanie-escape-" + std::to_string(::getpid()));
  auto r = run("steps:\n  - name: a\n    commands: [\"touch " + marker.string() + "\"]\n");
  EXPECT_TRUE(r.succeeded) << log_of(r);
  EXPECT_FALSE(fs::exists(marker));
}

class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 8);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(SandboxTest, NoNetworkUnlessTheStepAsks) {
  Listener daemon_port;
  const std::string connect = "bash -c 'exec 3<>/dev/tcp/127.0.0.1/" +
                              std::to_string(daemon_port.port()) + "' && echo connected";
  auto closed = run("steps:\n  - name: a\n    commands: [\"" + connect + "\"]\n");
  EXPECT_FALSE(closed.succeeded);
  EXPECT_EQ(log_of(closed).find("\nconnected"), std::string::npos);
  auto open = run("steps:\n  - name: a\n    network: true\n    commands: [\"" + connect + "\"]\n");
  EXPECT_TRUE(open.succeeded) << log_of(open);
}

TEST_F(SandboxTest, CannotKillProcessesOutsideIt) {
  pid_t victim = 0;
  const char* argv[] = {"sleep", "60", nullptr};
  ASSERT_EQ(posix_spawnp(&victim, "sleep", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  auto r = run("steps:\n  - name: a\n    commands: [\"kill -9 " + std::to_string(victim) + "\"]\n");
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(::kill(victim, 0), 0) << "the process outside the sandbox was killed";
  ::kill(victim, SIGKILL);
  ::waitpid(victim, nullptr, 0);
}

bool process_with_marker_exists(const std::string& marker) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(marker) != std::string::npos) return true;
  }
  return false;
}

TEST_F(SandboxTest, AForkBombIsContainedAndLeavesNothingBehind) {
  auto r =
      run("steps:\n  - name: a\n    timeout: 5s\n    commands: [\"bomb() { bomb | bomb & }; "
          "bomb\", \"sleep 30\"]\n");
  EXPECT_FALSE(r.succeeded);
  EXPECT_FALSE(process_with_marker_exists("bomb"));
}

TEST_F(SandboxTest, ATimeoutKillsTheWholeTreeEvenIfItIgnoresSigterm) {
  const std::string marker = "juanie-orphan-" + std::to_string(::getpid());
  auto r =
      run("steps:\n  - name: a\n    timeout: 1s\n    commands: [\"trap '' TERM; sh -c 'trap "
          "\\\"\\\" TERM; sleep 300' " +
          marker + " & sleep 300\"]\n");
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].state, "failed");
  EXPECT_EQ(r.steps[0].reason, "timed out after 1s");
  EXPECT_FALSE(process_with_marker_exists(marker));
}

TEST_F(SandboxTest, EndlessOutputIsCappedAndTheStepStopped) {
  auto r = run("steps:\n  - name: a\n    timeout: 3s\n    commands: [yes]\n", 64 * 1024);
  EXPECT_FALSE(r.succeeded);
  const auto size = fs::file_size(r.steps[0].log);
  EXPECT_LT(size, 64u * 1024 + 200);
  EXPECT_NE(log_of(r).find("[juanie: log cut at 65536 bytes"), std::string::npos);
}

TEST_F(SandboxTest, SecretsReachTheStepAndAreMaskedInItsLog) {
  auto r =
      run("steps:\n  - name: a\n    secrets: [NPM_TOKEN]\n    commands: [\"echo $NPM_TOKEN\", "
          "\"printf %s \\\"$NPM_TOKEN\\\" | base64\", \"test -n \\\"$NPM_TOKEN\\\"\"]\n",
          1 << 20, {{"NPM_TOKEN", "npm_s3cr3t_value"}});
  ASSERT_TRUE(r.succeeded) << log_of(r);
  const std::string log = log_of(r);
  EXPECT_EQ(log.find("npm_s3cr3t_value"), std::string::npos) << log;
  EXPECT_EQ(log.find("bnBtX3MzY3IzdF92YWx1ZQ"), std::string::npos) << log;
  EXPECT_NE(log.find("***"), std::string::npos);
}

TEST_F(SandboxTest, AStepCannotAskForASecretTheProjectDoesNotHave) {
  auto r = run("steps:\n  - name: a\n    secrets: [AWS_KEY]\n    commands: [\"true\"]\n");
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(r.steps[0].reason, "secret AWS_KEY is not one of the project's secrets");
}

}  // namespace
}  // namespace juanie::runner
