// Runs carried out by the daemon: a real bare repository made with the git CLI, a signed
// push, and the run followed through the API to its end.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon/support/clock.hpp"
#include "integration/daemon_fixture.hpp"
#include "integration/raw_client.hpp"
#include "integration/run_fixture.hpp"
#include "runner/container_sandbox.hpp"
#include "support/busybox_image.hpp"
#include "support/git_servers.hpp"
#include "support/processes.hpp"
#include "support/shell.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST_F(RunTest, APushRunsThePipelineToSuccess) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string sha = commit(
      "steps:\n"
      "  - name: build\n    commands: [\"echo building $JUANIE_SHA\", \"cat VERSION\"]\n"
      "  - name: test\n    depends_on: [build]\n    secrets: [APP_TOKEN]\n"
      "    commands: [\"echo token=$APP_TOKEN\", \"test \\\"$APP_TOKEN\\\" = "
      "app-token-value-123\"]\n"
      "  - name: release-only\n    commands: [\"false\"]\n    when: {branch: \"release/*\"}\n");
  const auto run = push(sha);
  auto done = d.wait_run(run, "succeeded");
  EXPECT_FALSE(done.at("started_at").is_null());
  EXPECT_FALSE(done.at("finished_at").is_null());
  const auto& steps = done.at("steps").as_array();
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].at("name").as_string(), "build");
  EXPECT_EQ(steps[0].at("state").as_string(), "succeeded");
  EXPECT_EQ(steps[0].at("exit_code").as_int64(), 0);
  EXPECT_EQ(steps[1].at("state").as_string(), "succeeded");
  EXPECT_EQ(steps[2].at("state").as_string(), "skipped");
  auto log = d.api("/api/v1/runs/" + std::to_string(run) + "/log");
  ASSERT_EQ(log.status, 200);
  EXPECT_NE(log.body.find("building " + sha), std::string::npos) << log.body;
  EXPECT_NE(log.body.find("token=***"), std::string::npos) << log.body;
  EXPECT_EQ(log.body.find("app-token-value-123"), std::string::npos);

  // The daemon's own log: the run's lines carry its stable keys (what an operator greps the
  // journal by), and no line carries the secret.
  const std::string id = std::to_string(run);
  const std::string keys = "run=" + id + " project=app environment=dev delivery=run-" + sha;
  ASSERT_TRUE(d.wait_for_log("msg=\"run " + id + " succeeded\"")) << d.log();
  const std::string daemon_log = d.log();
  EXPECT_NE(daemon_log.find("juanie: level=info " + keys + "-1 msg=\"webhook github/app"),
            std::string::npos)
      << daemon_log;
  EXPECT_NE(daemon_log.find("juanie: level=info " + keys + "-1 msg=\"run " + id + " started"),
            std::string::npos)
      << daemon_log;
  EXPECT_NE(daemon_log.find("juanie: level=info " + keys + "-1 msg=\"run " + id + " succeeded\""),
            std::string::npos)
      << daemon_log;
  EXPECT_EQ(daemon_log.find("app-token-value-123"), std::string::npos) << daemon_log;
}

TEST_F(RunTest, TheLogCanBeFollowedLiveUntilTheRunEnds) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string sha = commit(
      "steps:\n  - {name: slow, commands: [\"echo first line\", \"sleep 2\", \"echo last line\"]}\n"
      "  - {name: after, commands: [\"echo done\"]}\n");
  const auto run = push(sha);
  RawConnection c(d.port());
  ASSERT_TRUE(c.send("GET /api/v1/runs/" + std::to_string(run) +
                     "/log?follow=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kApiToken +
                     "\r\n\r\n"));
  const std::string early = c.read_until("first line\n", 30s);
  ASSERT_NE(early.find("first line\n"), std::string::npos) << early;
  EXPECT_NE(early.find("Transfer-Encoding: chunked"), std::string::npos);
  // The first line arrived while the step still runs: the log is live, not replayed at the end.
  EXPECT_EQ(json::parse(d.api("/api/v1/runs/" + std::to_string(run)).body).at("state").as_string(),
            "running");
  const std::string all = c.read_until("── run " + std::to_string(run) + " succeeded", 30s);
  EXPECT_NE(all.find("last line"), std::string::npos) << all;
  EXPECT_NE(all.find("── slow succeeded"), std::string::npos) << all;
  EXPECT_NE(all.find("done"), std::string::npos) << all;
  EXPECT_LT(all.find("last line"), all.find("── after"));
  EXPECT_TRUE(c.closed_by_peer(5s));
}

TEST_F(RunTest, FailuresCarryTheirReason) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string failing = commit(
      "steps:\n  - {name: lint, commands: [\"exit 4\"]}\n  - {name: test, commands: [\"true\"]}\n");
  auto run = d.wait_run(push(failing), "failed");
  EXPECT_EQ(run.at("reason").as_string(), "step lint failed: exit code 4");
  EXPECT_EQ(run.at("steps").as_array()[1].at("state").as_string(), "skipped");

  const std::string broken = commit("steps:\n  - name: a\n    commands: [x]\n    commandz: [y]\n");
  auto bad = d.wait_run(push(broken), "failed");
  EXPECT_NE(std::string(bad.at("reason").as_string())
                .find(".juanie.yml:4:5: steps[0].commandz: unknown key"),
            std::string::npos);

  // A daemon alone (SQLite) has no labels: a pipeline asking for some fails, saying so.
  const std::string labelled =
      commit("steps:\n  - {name: a, commands: [\"true\"], runs_on: [arm64]}\n");
  auto unplaced = d.wait_run(push(labelled), "failed");
  EXPECT_EQ(unplaced.at("reason").as_string(),
            "the pipeline asks for a build node with labels arm64 (runs_on); this daemon runs "
            "alone, without labels (node.labels come with store.backend: postgresql)");
  EXPECT_EQ(unplaced.at("steps").as_array().size(), 0U) << "nothing ran";

  auto missing = d.wait_run(push("0123456789abcdef0123456789abcdef01234567"), "failed");
  EXPECT_NE(std::string(missing.at("reason").as_string()).find("does not exist"),
            std::string::npos);
}

// What a pushed repository gives the daemon itself to read is read from the commit's tree:
// a symlink to /dev/zero (which once made the daemon allocate until it died, and die again
// after each restart) or a huge file fails the run, not the daemon.
TEST_F(RunTest, AHostilePipelineFileFailsTheRunAndLeavesTheDaemonUnharmed) {
  ASSERT_TRUE(d.start()) << d.log();
  commit("steps:\n  - {name: ok, commands: [\"true\"]}\n");
  const std::string work = (d.home() / "work").string();
  auto commit_work = [&](const std::string& message) {
    sh("git -C " + work + " add -A && git -C " + work +
       " -c user.email=dev@example.com -c user.name=Dev commit -qm '" + message + "' && git -C " +
       work + " push -q origin develop");
    std::string sha = sh("git -C " + work + " rev-parse HEAD");
    sha.pop_back();
    return sha;
  };
  fs::remove(d.home() / "work/.juanie.yml");
  fs::create_symlink("/dev/zero", d.home() / "work/.juanie.yml");
  auto zero = d.wait_run(push(commit_work("pipeline -> /dev/zero")), "failed");
  EXPECT_NE(std::string(zero.at("reason").as_string())
                .find(": .juanie.yml is a symbolic link; it must be a regular file"),
            std::string::npos)
      << json::serialize(zero);
  EXPECT_EQ(d.request("GET", "/healthz").status, 200);

  fs::remove(d.home() / "work/.juanie.yml");
  fs::create_symlink("/etc/passwd", d.home() / "work/.juanie.yml");
  auto passwd = d.wait_run(push(commit_work("pipeline -> /etc/passwd")), "failed");
  EXPECT_EQ(std::string(passwd.at("reason").as_string()).find("root:"), std::string::npos);

  fs::remove(d.home() / "work/.juanie.yml");
  d.home().write("work/.juanie.yml",
                 "steps: []\n" + std::string(2 << 20, '#') + "\n");  // 2 MiB of comment
  auto huge = d.wait_run(push(commit_work("a 2 MiB pipeline")), "failed");
  EXPECT_NE(std::string(huge.at("reason").as_string()).find("bytes, more than the 1048576"),
            std::string::npos)
      << json::serialize(huge);

  fs::remove(d.home() / "work/.juanie.yml");
  fs::create_directories(d.home() / "work/.juanie.yml");
  d.home().write("work/.juanie.yml/x", "x\n");
  auto dir = d.wait_run(push(commit_work("a directory")), "failed");
  EXPECT_NE(std::string(dir.at("reason").as_string()).find("is a directory"), std::string::npos);

  // The same daemon, unharmed, runs the next good commit.
  fs::remove_all(d.home() / "work/.juanie.yml");
  d.wait_run(push(commit("steps:\n  - {name: ok, commands: [\"true\"]}\n")), "succeeded");
}

// The daemon holds its listening socket, accepted connections and the step's log file while
// a step runs; the step must hold none of them (with them it could accept API requests, bearer
// tokens included, or write its log past limits.log_max).
TEST_F(RunTest, AStepInheritsNoDescriptorFromTheDaemon) {
  ASSERT_TRUE(d.start()) << d.log();
  RawConnection idle(d.port());  // an accepted connection, open throughout the run
  ASSERT_TRUE(idle.connected());
  const auto run =
      push(commit("steps:\n  - name: fds\n    commands: [\"ls /proc/$$/fd\", \"echo listed\"]\n"));
  d.wait_run(run, "succeeded");
  auto log = d.api("/api/v1/runs/" + std::to_string(run) + "/log");
  EXPECT_NE(log.body.find("+ ls /proc/$$/fd\n0\n1\n2\n+ echo listed"), std::string::npos)
      << log.body;
}

TEST_F(RunTest, RetryFromTheFailedStepReusesTheWorkspace) {
  ASSERT_TRUE(d.start()) << d.log();
  // `flaky` fails the first time it sees a workspace and passes the second time.
  const std::string sha = commit(
      "steps:\n"
      "  - {name: build, commands: [\"echo built > artifact\"]}\n"
      "  - {name: flaky, depends_on: [build], commands: [\"test -f artifact\", "
      "\"if [ -f .seen ]; then echo second try; else touch .seen; exit 1; fi\"]}\n");
  const auto first = push(sha);
  d.wait_run(first, "failed");
  const std::pair<std::string, std::string> auth{"Authorization",
                                                 std::string("Bearer ") + kApiToken};

  auto resumed =
      d.request("POST", "/api/v1/runs/" + std::to_string(first) + "/retry?from=failed", "", {auth});
  ASSERT_EQ(resumed.status, 202) << resumed.body;
  const auto second = json::parse(resumed.body).at("run").as_int64();
  auto done = d.wait_run(second, "succeeded");
  EXPECT_EQ(done.at("trigger").as_string(), "retry");
  EXPECT_EQ(done.at("retry_of").as_int64(), first);
  const auto& steps = done.at("steps").as_array();
  EXPECT_EQ(steps[0].at("state").as_string(), "skipped");
  EXPECT_EQ(steps[0].at("reason").as_string(), "passed in run " + std::to_string(first));
  EXPECT_EQ(steps[1].at("state").as_string(), "succeeded");

  // A whole retry starts from a fresh checkout: the flaky step fails again.
  auto whole = d.request("POST", "/api/v1/runs/" + std::to_string(second) + "/retry", "", {auth});
  ASSERT_EQ(whole.status, 202) << whole.body;
  auto third = d.wait_run(json::parse(whole.body).at("run").as_int64(), "failed");
  EXPECT_EQ(third.at("reason").as_string(), "step flaky failed: exit code 1");

  // The first run's workspace moved to the second: resuming it again cannot work.
  auto again =
      d.request("POST", "/api/v1/runs/" + std::to_string(first) + "/retry?from=failed", "", {auth});
  ASSERT_EQ(again.status, 202);
  auto gone = d.wait_run(json::parse(again.body).at("run").as_int64(), "failed");
  EXPECT_NE(std::string(gone.at("reason").as_string()).find("is gone"), std::string::npos);

  auto nothing_failed = d.request(
      "POST", "/api/v1/runs/" + std::to_string(second) + "/retry?from=failed", "", {auth});
  EXPECT_EQ(nothing_failed.status, 409);
}

bool marker_alive(const std::string& marker) {
  return process_with_marker_exists(marker);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST_F(RunTest, CancelStopsTheRunningStep) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string marker = "juanie-cancel-" + std::to_string(::getpid());
  const std::string sha =
      commit("steps:\n  - {name: long, commands: [\"sh -c 'sleep 300' " + marker + "\"]}\n");
  const auto run = push(sha);
  ASSERT_TRUE(wait_until([&] { return marker_alive(marker); }, 30s)) << d.log();
  auto r = d.request("POST", "/api/v1/runs/" + std::to_string(run) + "/cancel", "",
                     {{"Authorization", std::string("Bearer ") + kApiToken}});
  EXPECT_EQ(r.status, 202) << r.body;
  d.wait_run(run, "cancelled");
  EXPECT_TRUE(wait_until([&] { return !marker_alive(marker); }, 10s));
}

TEST_F(RunTest, KillNineDuringAStepRequeuesTheRunAndLeavesNoOrphan) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string marker = "juanie-crash-" + std::to_string(::getpid());
  // A step that would run for 5 minutes: only the daemon's death can end it within the wait.
  const std::string sha =
      commit("steps:\n  - {name: once, commands: [\"sh -c 'sleep 300' " + marker + "\"]}\n");
  const auto run = push(sha);
  ASSERT_TRUE(wait_until([&] { return marker_alive(marker); }, 30s)) << d.log();
  d.kill9();
  // Up to 30 s: under ASan on a loaded machine a killed daemon's exit was seen to take over 8 s.
  EXPECT_TRUE(wait_until([&] { return !marker_alive(marker); }, 30s))
      << "a step outlived the daemon";
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_NE(d.log().find("interrupted by a restart; queued again"), std::string::npos) << d.log();
  // Queued again and started again from its first step; then stopped, not waited for.
  EXPECT_TRUE(wait_until([&] { return marker_alive(marker); }, 30s)) << d.log();
  EXPECT_EQ(d.api_post("/api/v1/runs/" + std::to_string(run) + "/cancel").status, 202);
  auto done = d.wait_run(run, "cancelled");
  EXPECT_EQ(done.at("steps").as_array().size(), 1u);
  EXPECT_TRUE(wait_until([&] { return !marker_alive(marker); }, 30s));
}

// libgit2 inflates each file whole while it checks a commit out: a pushed file of zeros, tiny
// compressed, is refused from its object header before the daemon holds a byte of it.
class CheckoutLimitRunTest : public RunTest {
 protected:
  CheckoutLimitRunTest() : RunTest("limits:\n  checkout_file_max: 1MiB\n  checkout_max: 3MiB\n") {}
};

TEST_F(CheckoutLimitRunTest, ACommitOverTheCheckoutLimitsFailsBeforeItIsWritten) {
  ASSERT_TRUE(d.start()) << d.log();
  d.home().write("work/zeros.bin", std::string(2 << 20, '\0'));
  const std::string big = commit("steps:\n  - {name: ok, commands: [\"true\"]}\n");
  auto one = d.wait_run(push(big), "failed");
  EXPECT_NE(std::string(one.at("reason").as_string())
                .find(": zeros.bin is 2097152 bytes, more than limits.checkout_file_max (1048576)"),
            std::string::npos)
      << json::serialize(one);
  EXPECT_FALSE(fs::exists(d.home() / "data/workspaces" / std::to_string(one.at("id").as_int64()) /
                          "zeros.bin"));

  fs::remove(d.home() / "work/zeros.bin");
  for (int i = 0; i < 4; ++i) {
    d.home().write("work/part" + std::to_string(i), std::string(900 << 10, '\0'));
  }
  auto total = d.wait_run(push(commit("steps:\n  - {name: ok, commands: [\"true\"]}\n")), "failed");
  EXPECT_NE(
      std::string(total.at("reason").as_string()).find("more than limits.checkout_max (3145728)"),
      std::string::npos)
      << json::serialize(total);

  for (int i = 0; i < 4; ++i) fs::remove(d.home() / ("work/part" + std::to_string(i)));
  d.wait_run(push(commit("steps:\n  - {name: ok, commands: [\"true\"]}\n")), "succeeded");
}

// A run whose every attempt ends with the daemon killed (as a pipeline file that exhausted
// its memory once did) is not queued forever: after limits.run_attempts it fails, by itself.
class CrashLoopRunTest : public RunTest {
 protected:
  CrashLoopRunTest() : RunTest("limits:\n  run_attempts: 2\n") {}
};

TEST_F(CrashLoopRunTest, ARunInterruptedAtEveryAttemptEndsFailed) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string marker = "juanie-crashloop-" + std::to_string(::getpid());
  const std::string sha =
      commit("steps:\n  - {name: long, commands: [\"sh -c 'sleep 300' " + marker + "\"]}\n");
  const auto run = push(sha);
  ASSERT_TRUE(wait_until([&] { return marker_alive(marker); }, 30s)) << d.log();
  d.kill9();
  ASSERT_TRUE(wait_until([&] { return !marker_alive(marker); }, 30s));
  ASSERT_TRUE(d.start()) << d.log();
  // The second attempt starts, and dies with the daemon too.
  ASSERT_TRUE(wait_until([&] { return marker_alive(marker); }, 30s)) << d.log();
  d.kill9();
  ASSERT_TRUE(wait_until([&] { return !marker_alive(marker); }, 30s));
  ASSERT_TRUE(d.start()) << d.log();
  auto failed = d.wait_run(run, "failed");
  EXPECT_EQ(failed.at("reason").as_string(),
            "interrupted 2 times (limits.run_attempts: 2); not queued again");
  EXPECT_FALSE(marker_alive(marker));
}

// With recovery: fail a crashed run is never run again, so nothing at run start would remove
// the secrets file its step had: the daemon sweeps them at start, whatever the policy.
class FailRecoveryRunTest : public RunTest {
 protected:
  FailRecoveryRunTest() : RunTest("recovery: fail\n") {}
};

TEST_F(FailRecoveryRunTest, SecretsFilesLeftByAKilledStepAreRemovedAtStart) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string marker = "juanie-secret-crash-" + std::to_string(::getpid());
  const std::string sha = commit(
      "steps:\n  - {name: long, secrets: [APP_TOKEN], commands: [\"sh -c "
      "'sleep 300' " +
      marker + "\"]}\n");
  const auto run = push(sha);
  ASSERT_TRUE(wait_until([&] { return marker_alive(marker); }, 30s)) << d.log();
  auto secrets_files = [&] {
    int n = 0;
    for (const auto& e : fs::directory_iterator(d.home() / "data/workspaces")) {
      if (e.path().filename().string().ends_with(".secrets.env")) ++n;
    }
    return n;
  };
  ASSERT_EQ(secrets_files(), 1);  // the step has it now
  d.kill9();
  ASSERT_TRUE(wait_until([&] { return !marker_alive(marker); }, 30s));
  EXPECT_EQ(secrets_files(), 1);  // a crash removes nothing
  ASSERT_TRUE(d.start()) << d.log();
  auto failed = d.wait_run(run, "failed");
  EXPECT_EQ(failed.at("reason").as_string(), "interrupted by a daemon restart");
  EXPECT_EQ(secrets_files(), 0);
  EXPECT_NE(d.log().find("removed 1 step secrets file(s)"), std::string::npos) << d.log();
}

// A private repository behind https-style basic authentication (git http-backend on loopback):
// the token comes from secrets_dir, and is read again for each fetch, so rotating the file is
// enough.
TEST_F(RunTest, APrivateRepositoryIsFetchedWithTheProjectsToken) {
  GitHttpServer server(d.home().path(), "x-access-token", "ghp_current");
  d.home().write("secrets/app.git-token", "ghp_old\n");
  d.home().write("projects.d/app.yaml",
                 "name: app\nrepo: {url: \"" + server.url("app.git") +
                     "\", forge: github, webhook_secret: app.webhook, username: x-access-token, "
                     "token: app.git-token}\nbranches: [{match: develop, environment: dev}]\n");
  ASSERT_TRUE(d.start()) << d.log();
  const auto refused = push(commit("steps:\n  - {name: a, commands: [\"cat VERSION\"]}\n"));
  auto failed = d.wait_run(refused, "failed");
  EXPECT_NE(std::string(failed.at("reason").as_string()).find("refused the configured credentials"),
            std::string::npos)
      << json::serialize(failed);
  EXPECT_EQ(d.log().find("ghp_"), std::string::npos) << d.log();

  d.home().write("secrets/app.git-token", "ghp_current\n");
  const auto run = push(commit("steps:\n  - {name: a, commands: [\"cat VERSION\"]}\n"));
  d.wait_run(run, "succeeded");
}

// sandbox.memory holds for bwrap steps too: the kernel kills the step, the run says why, the
// daemon carries on.
class MemoryLimitRunTest : public RunTest {
 protected:
  MemoryLimitRunTest() : RunTest("sandbox:\n  memory: 64MiB\n") {}
};

TEST_F(MemoryLimitRunTest, AStepPastSandboxMemoryFailsWithMemoryLimit) {
  ASSERT_TRUE(d.start()) << d.log();
  const auto run =
      push(commit("steps:\n  - name: hog\n    commands: [\"head -c 400000000 "
                  "/dev/zero | tail | wc -c\"]\n"));
  auto done = d.wait_run(run, "failed");
  ASSERT_TRUE(done.contains("steps")) << json::serialize(done);
  const auto& step = done.at("steps").as_array().at(0);
  EXPECT_EQ(step.at("reason").as_string(),
            "memory limit: the step used more than 64 MiB (sandbox.memory) and was killed");
  EXPECT_NE(std::string(done.at("reason").as_string()).find("memory limit"), std::string::npos);
  EXPECT_TRUE(d.running());
  EXPECT_NE(d.log().find("steps' cgroups: cgroup v"), std::string::npos) << d.log();
  // The next run has its memory again.
  const auto next = push(commit("steps:\n  - {name: a, commands: [\"cat VERSION\"]}\n"));
  d.wait_run(next, "succeeded");
}

// Where no cgroup can be made (here /sys/fs/cgroup is covered, in a mount namespace of the
// daemon's own), a memory limit cannot be enforced: serve refuses to start, saying how to
// fix it, rather than run steps unbounded.
TEST(MemoryLimitStartup, ServeRefusesToStartWhenNoCgroupCanEnforceTheMemoryLimit) {
  TempDir home;
  home.write("projects.d/.keep", "");
  home.write("secrets/.keep", "");
  home.write("juanie.yaml",
             "listen: 127.0.0.1:0\ndata_dir: data\nprojects_dir: projects.d\n"
             "secrets_dir: secrets\n");
  // As a daemon's data_dir: the sandbox user may pass through.
  fs::permissions(home.path(), fs::perms::others_exec, fs::perm_options::add);
  const std::string out =
      sh("(timeout 60 unshare -m sh -c 'mount -t tmpfs none /sys/fs/cgroup && exec " +
         std::string(JUANIE_BINARY) + " serve --config " + (home / "juanie.yaml").string() +
         "') 2>&1; echo exit=$?");
  EXPECT_NE(out.find("sandbox.memory cannot be enforced"), std::string::npos) << out;
  EXPECT_NE(out.find("Delegate=yes"), std::string::npos) << out;
  EXPECT_NE(out.find("exit=1\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("listening on"), std::string::npos) << out;
}

// Disk is bounded: a run's workspace goes when the run ends; a failed run's stays for a
// retry from its failed step, until limits.workspace_ttl.
class WorkspaceTtlRunTest : public RunTest {
 protected:
  WorkspaceTtlRunTest() : RunTest("limits:\n  workspace_ttl: 2s\n") {}
};

TEST_F(WorkspaceTtlRunTest, WorkspacesGoWhenRunsEndAndFailedOnesAfterTheTtl) {
  ASSERT_TRUE(d.start()) << d.log();
  const fs::path workspaces = d.home() / "data" / "workspaces";
  const auto passed = push(commit("steps:\n  - {name: a, commands: [\"echo x > out\"]}\n"));
  d.wait_run(passed, "succeeded");
  EXPECT_FALSE(fs::exists(workspaces / std::to_string(passed)));
  const auto failed = push(commit("steps:\n  - {name: a, commands: [\"echo x > out\", false]}\n"));
  d.wait_run(failed, "failed");
  EXPECT_TRUE(fs::exists(workspaces / std::to_string(failed) / "upper" / "out"))
      << "kept for a retry";
  std::this_thread::sleep_for(2500ms);  // past the ttl
  const auto next = push(commit("steps:\n  - {name: a, commands: [\"cat VERSION\"]}\n"));
  d.wait_run(next, "succeeded");
  EXPECT_TRUE(wait_until([&] { return !fs::exists(workspaces / std::to_string(failed)); }, 10s))
      << d.log();
  EXPECT_TRUE(fs::is_empty(workspaces));
  EXPECT_NE(d.log().find("older than limits.workspace_ttl"), std::string::npos) << d.log();
}

// retention: old runs go with their logs; younger ones lose only their logs and say so.
class RetentionRunTest : public RunTest {
 protected:
  RetentionRunTest() : RunTest("retention:\n  logs: 30d\n  runs: 365d\n") {}

  void finished_ago(std::int64_t run, std::chrono::hours age) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((d.home() / "data/juanie.db").c_str(), &db), SQLITE_OK);
    const std::string sql = "UPDATE runs SET finished_at = '" +
                            daemon::rfc3339(std::chrono::system_clock::now() - age) +
                            "' WHERE id = " + std::to_string(run);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
};

TEST_F(RetentionRunTest, OldRunsAndLogsGoAtStartAndTheApiSaysSo) {
  ASSERT_TRUE(d.start()) << d.log();
  const fs::path logs = d.home() / "data" / "logs";
  const auto old_run = push(commit("steps:\n  - {name: a, commands: [\"echo old\"]}\n"));
  d.wait_run(old_run, "succeeded");
  const auto month_old = push(commit("steps:\n  - {name: a, commands: [\"echo month\"]}\n"));
  d.wait_run(month_old, "succeeded");
  const auto fresh = push(commit("steps:\n  - {name: a, commands: [\"echo fresh\"]}\n"));
  d.wait_run(fresh, "succeeded");
  ASSERT_TRUE(fs::exists(logs / std::to_string(old_run)));
  ASSERT_EQ(d.stop(), 0) << d.log();
  finished_ago(old_run, std::chrono::hours(24 * 400));
  finished_ago(month_old, std::chrono::hours(24 * 40));
  ASSERT_TRUE(d.start()) << d.log();
  // The sweep deletes runs before it removes logs: wait for the line it writes when done.
  ASSERT_TRUE(wait_until(
      [&] {
        return d.log().find("retention: deleted 1 run(s), the logs of 1 more") != std::string::npos;
      },
      10s))
      << d.log();
  EXPECT_EQ(d.api("/api/v1/runs/" + std::to_string(old_run)).status, 404);
  EXPECT_FALSE(fs::exists(logs / std::to_string(old_run)));
  EXPECT_FALSE(fs::exists(logs / std::to_string(month_old)));
  const auto month = json::parse(d.api("/api/v1/runs/" + std::to_string(month_old)).body);
  EXPECT_TRUE(month.at("logs_removed_at").is_string()) << month;
  const auto month_log = d.api("/api/v1/runs/" + std::to_string(month_old) + "/log").body;
  EXPECT_NE(month_log.find("removed at"), std::string::npos) << month_log;
  EXPECT_NE(month_log.find("by retention.logs"), std::string::npos) << month_log;
  EXPECT_EQ(month_log.find("month\n"), std::string::npos) << month_log;
  const auto fresh_log = d.api("/api/v1/runs/" + std::to_string(fresh) + "/log").body;
  EXPECT_NE(fresh_log.find("fresh"), std::string::npos) << fresh_log;
}

// Below limits.min_free_disk new runs wait and /readyz says why; webhooks are still stored.
class LowDiskRunTest : public RunTest {
 protected:
  LowDiskRunTest() : RunTest("limits:\n  min_free_disk: 1000000GiB\n") {}
};

TEST_F(LowDiskRunTest, NewRunsWaitAndReadyzSaysWhyWhileWebhooksAreStored) {
  ASSERT_TRUE(d.start()) << d.log();
  auto ready = d.request("GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("below limits.min_free_disk"), std::string::npos) << ready.body;
  const auto run = push(commit("steps:\n  - {name: a, commands: [\"cat VERSION\"]}\n"));
  ASSERT_GT(run, 0);  // stored and answered 202
  // The scheduler saw the run and held it.
  EXPECT_TRUE(wait_until([&] { return d.log().find("new runs wait: ") != std::string::npos; }, 30s))
      << d.log();
  auto r = d.api("/api/v1/runs/" + std::to_string(run));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("state").as_string(), "queued");
}

// The same daemon with sandbox.backend podman: steps run in containers of a local image.
class PodmanRunTest : public RunTest {
 protected:
  PodmanRunTest()
      : RunTest(
            "sandbox:\n  backend: podman\n  runtime: runc\n  memory: 512MiB\n"
            "  default_image: " +
            ensure_busybox_image() + "\n") {}

  std::string containers_left(const std::string& filter = "") {
    return test::sh("podman ps --all --quiet --filter label=io.juanie.owner=" +
                    runner::container_owner((d.home() / "data").string()) + filter);
  }
  std::string running_containers() { return containers_left(" --filter status=running"); }
};

TEST_F(PodmanRunTest, APushRunsThePipelineInContainers) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string sha = commit(
      "steps:\n"
      "  - name: build\n    commands: [\"echo building $JUANIE_SHA\", \"grep nobody "
      "/etc/passwd\"]\n"
      "  - name: test\n    secrets: [APP_TOKEN]\n"
      "    commands: [\"echo token=$APP_TOKEN\", \"test \\\"$APP_TOKEN\\\" = "
      "app-token-value-123\"]\n");
  const auto run = push(sha);
  auto done = d.wait_run(run, "succeeded");
  auto log = d.api("/api/v1/runs/" + std::to_string(run) + "/log");
  EXPECT_NE(log.body.find("building " + sha), std::string::npos) << log.body;
  EXPECT_NE(log.body.find("nobody:x:65534:65534:nobody:/nonexistent:/bin/false"), std::string::npos)
      << log.body;
  EXPECT_NE(log.body.find("token=***"), std::string::npos) << log.body;
  EXPECT_EQ(log.body.find("app-token-value-123"), std::string::npos);
  EXPECT_EQ(containers_left(), "");
}

// A hostile image name fails the run at parse time, naming the field; no engine is started.
TEST_F(PodmanRunTest, AnImageNamedLikeAnOptionFailsTheRunBeforeAnythingRuns) {
  ASSERT_TRUE(d.start()) << d.log();
  const auto run =
      push(commit("steps:\n  - name: a\n    image: \"--privileged\"\n"
                  "    commands: [\"touch /workspace/ran\"]\n"));
  auto failed = d.wait_run(run, "failed");
  EXPECT_NE(std::string(failed.at("reason").as_string())
                .find(".juanie.yml:3:12: steps[0].image: \"--privileged\" must not start with '-'"),
            std::string::npos)
      << json::serialize(failed);
  EXPECT_TRUE(failed.at("steps").as_array().empty()) << json::serialize(failed);
  EXPECT_EQ(containers_left(), "");
}

// A killed daemon leaves its step's container running (the engine keeps it); the next start
// removes it before anything runs, and the run is carried out again.
TEST_F(PodmanRunTest, KillNineDuringAContainerStepLeavesNoContainerAfterRestart) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string marker = "juanie-podman-crash-" + std::to_string(::getpid());
  const std::string sha =
      commit("steps:\n  - {name: once, commands: [\"sh -c 'sleep 8' " + marker + "\"]}\n");
  const auto run = push(sha);
  // The marker is on the engine client's command line too: wait for the running container.
  ASSERT_TRUE(wait_until([&] { return running_containers() != ""; }, 30s)) << d.log();
  d.kill9();
  std::this_thread::sleep_for(500ms);
  EXPECT_NE(running_containers(), "") << "the engine should still run the step's container";
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_NE(d.log().find("removed 1 step container(s) left by a restart"), std::string::npos)
      << d.log();
  auto done = d.wait_run(run, "succeeded");
  EXPECT_EQ(done.at("steps").as_array().size(), 1u);
  EXPECT_EQ(containers_left(), "");
  EXPECT_FALSE(marker_alive(marker));
}

}  // namespace
}  // namespace juanie::test
