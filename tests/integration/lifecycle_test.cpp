#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <thread>

#include "integration/daemon_fixture.hpp"
#include "integration/raw_client.hpp"
#include "support/shell.hpp"

namespace juanie::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// Runs the real binary with arguments; returns (exit code, stdout+stderr).
std::pair<int, std::string> run_juanie(const std::string& args) {
  return sh_with_status(std::string(JUANIE_BINARY) + " " + args);
}

TEST(Lifecycle, RunsSurviveARestart) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha_for(100));
  auto r = d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "restart-1"));
  ASSERT_EQ(r.status, 202);
  const auto run_id = json::parse(r.body).at("run").as_int64();
  ASSERT_EQ(d.stop(SIGTERM), 0);
  EXPECT_NE(d.log().find("stopped"), std::string::npos);

  ASSERT_TRUE(d.start()) << d.log();
  auto run = d.api("/api/v1/runs/" + std::to_string(run_id));
  ASSERT_EQ(run.status, 200);
  EXPECT_EQ(json::parse(run.body).at("state").as_string(), "queued");
  auto again = d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "restart-1"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body).at("run").as_int64(), run_id);
}

// A second daemon on the same data_dir (its listen port is free: 127.0.0.1:0) refuses to
// start, before it recovers anything: the first one's runs stay as they are.
TEST(Lifecycle, ASecondDaemonOnTheSameDataDirRefusesToStart) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha_for(101));
  auto r = d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "lock-1"));
  ASSERT_EQ(r.status, 202);
  // (Under `timeout`: were the lock not there, the second daemon would serve on.)
  const auto [code, out] = sh_with_status("timeout 20 " + std::string(JUANIE_BINARY) +
                                          " serve --config " + (d.home() / "juanie.yaml").string());
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find(" is in use by another juanie serve (pid "), std::string::npos) << out;
  EXPECT_EQ(d.request("GET", "/healthz").status, 200);
  ASSERT_EQ(d.stop(SIGTERM), 0);
  // Once the first is gone, the lock is free.
  ASSERT_TRUE(d.start()) << d.log();
}

TEST(Lifecycle, ABrokenReloadKeepsTheOldProjects) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const auto project_file = d.home() / "projects.d/shop-api.yaml";
  const std::string good = read_file(project_file);
  d.home().write("projects.d/shop-api.yaml", good + "surprise: true\n");
  d.signal(SIGHUP);
  EXPECT_TRUE(d.wait_for_log("reload refused")) << d.log();
  EXPECT_NE(d.log().find("reload refused, the previous projects stay in force: " +
                         project_file.string() + ":"),
            std::string::npos)
      << d.log();
  EXPECT_NE(d.log().find("surprise: unknown key"), std::string::npos);
  const std::string body = push_body("refs/heads/develop", sha_for(200));
  EXPECT_EQ(d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "hup-1")).status,
            202);

  // A good reload takes effect: a new project appears.
  d.home().write("projects.d/shop-api.yaml", good);
  d.home().write("secrets/new.webhook", "new-secret");
  d.home().write("projects.d/new.yaml",
                 "name: new\nrepo: {url: u, forge: github, webhook_secret: new.webhook}\n"
                 "branches: [{match: \"**\", environment: dev}]\n");
  d.signal(SIGHUP);
  EXPECT_TRUE(d.wait_for_log("reloaded 5 project(s)")) << d.log();
  auto r = d.request("POST", "/hooks/github/new", body,
                     github_headers(body, "hup-2", "push", "new-secret"));
  EXPECT_EQ(r.status, 202) << r.body;
}

TEST(Lifecycle, ABadConfigurationRefusesToStart) {
  Daemon d;
  d.home().write("projects.d/billing.yaml",
                 "name: billing\nrepo: {url: u, forge: gitlab, webhook_secret: billing.webhook}\n"
                 "environments:\n  prod: {approval: optional}\n");
  EXPECT_FALSE(d.start());
  EXPECT_NE(d.log().find((d.home() / "projects.d/billing.yaml").string() +
                         ":4: environments.prod: approval: prod always requires approval"),
            std::string::npos)
      << d.log();
}

TEST(Lifecycle, AMissingSecretRefusesToStart) {
  Daemon d;
  std::filesystem::remove(d.home() / "secrets/wiki.webhook");
  EXPECT_FALSE(d.start());
  EXPECT_NE(d.log().find("repo.webhook_secret: cannot read secret file"), std::string::npos)
      << d.log();
}

TEST(Lifecycle, ValidateReportsFileLineAndField) {
  Daemon d;
  auto [ok_code, ok_out] = run_juanie("validate " + (d.home() / "juanie.yaml").string() + " " +
                                      (d.home() / "projects.d/shop-api.yaml").string());
  EXPECT_EQ(ok_code, 0) << ok_out;
  EXPECT_NE(ok_out.find("daemon configuration with 4 project(s)"), std::string::npos) << ok_out;
  d.home().write(
      "bad.yaml",
      "name: x\nrepo: {url: u, forge: github, webhook_secret: s}\nimage: 5\nbranchs: []\n");
  auto [bad_code, bad_out] = run_juanie("validate " + (d.home() / "bad.yaml").string());
  EXPECT_EQ(bad_code, 1);
  EXPECT_NE(bad_out.find((d.home() / "bad.yaml").string() + ":4: branchs: unknown key"),
            std::string::npos)
      << bad_out;
  d.home().write(".juanie.yml",
                 "steps:\n  - name: test\n    commands: [make test]\n    depends_on: [build]\n");
  auto [pipe_code, pipe_out] = run_juanie("validate " + (d.home() / ".juanie.yml").string());
  EXPECT_EQ(pipe_code, 1);
  EXPECT_NE(pipe_out.find((d.home() / ".juanie.yml").string() +
                          ":4:17: steps[0].depends_on: no step is named \"build\""),
            std::string::npos)
      << pipe_out;
  d.home().write(
      ".juanie.yml",
      "steps:\n  - name: test\n    image: \"--privileged\"\n    commands: [make test]\n");
  auto [image_code, image_out] = run_juanie("validate " + (d.home() / ".juanie.yml").string());
  EXPECT_EQ(image_code, 1);
  EXPECT_NE(image_out.find((d.home() / ".juanie.yml").string() +
                           ":3:12: steps[0].image: \"--privileged\" must not start with '-'"),
            std::string::npos)
      << image_out;
  d.home().write("bad-image.yaml",
                 "name: x\nrepo: {url: u, forge: github, webhook_secret: s}\nimage: \"-x\"\n");
  auto [project_code, project_out] =
      run_juanie("validate " + (d.home() / "bad-image.yaml").string());
  EXPECT_EQ(project_code, 1);
  EXPECT_NE(project_out.find((d.home() / "bad-image.yaml").string() +
                             ":3: image: \"-x\" must not start with '-'"),
            std::string::npos)
      << project_out;
  d.home().write(".juanie.yml", "steps:\n  - name: test\n    commands: [make test]\n");
  auto [good_code, good_out] = run_juanie("validate " + (d.home() / ".juanie.yml").string());
  EXPECT_EQ(good_code, 0) << good_out;
  EXPECT_NE(good_out.find("pipeline with 1 step(s)"), std::string::npos);
  auto [usage_code, usage_out] = run_juanie("frobnicate");
  EXPECT_EQ(usage_code, 2);
}

TEST(Lifecycle, SigtermFinishesRequestsInFlight) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  // Many requests in flight while SIGTERM arrives: each gets a complete answer or a refused
  // connection, never a 2xx for a run that is not stored.
  std::vector<std::thread> senders;
  std::atomic<int> accepted{0};
  std::vector<std::string> accepted_ids(40);
  for (int i = 0; i < 40; ++i) {
    senders.emplace_back([&, i] {
      const std::string body = push_body("refs/heads/develop", sha_for(1000 + i));
      auto r = d.request("POST", "/hooks/github/shop-api", body,
                         github_headers(body, "term-" + std::to_string(i)));
      if (r.status == 202) {
        ++accepted;
        accepted_ids[i] = "term-" + std::to_string(i);
      }
    });
  }
  // SIGTERM once the first one is answered, so that the daemon is surely taking them (not
  // after a guessed 5 ms); the other 39 are still being sent or answered.
  for (const auto deadline = std::chrono::steady_clock::now() + 30s;
       accepted.load() == 0 && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(1ms);  // the poll's period, not a guess at when
  }
  EXPECT_EQ(d.stop(SIGTERM), 0);
  for (auto& t : senders) t.join();
  const std::string db = (d.home() / "data/juanie.db").string();
  for (const auto& id : accepted_ids) {
    if (id.empty()) continue;
    EXPECT_EQ(count_rows(db, "SELECT count(*) FROM deliveries WHERE delivery_id = '" + id + "'"), 1)
        << id;
  }
}

// Connections the drain gives up on (a half-sent head, a half-sent body: a stranger needs no
// session for either) are torn down with the server: the daemon still stops cleanly, never
// with a crash after "stopped" (the io_context outlived the state its sessions use).
TEST(Lifecycle, HalfSentRequestsAtTheStopDoNotCrashIt) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  RawConnection head(d.port());
  ASSERT_TRUE(head.send("GET / HTTP/1.1\r\nHost: x\r\n"));
  RawConnection body(d.port());
  ASSERT_TRUE(
      body.send("POST /sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ntok"));
  ASSERT_TRUE(d.wait_for_log("juanie")) << d.log();  // both are in by the time it answers
  EXPECT_EQ(d.request("GET", "/healthz").status, 200);
  EXPECT_EQ(d.stop(), 0) << d.log();
}

}  // namespace
}  // namespace juanie::test
