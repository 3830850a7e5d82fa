// A push ends where the platform's flow says: the image in a real registry (Debian's
// docker-registry on loopback) and its tag committed into the dev overlay of a real GitOps
// repository — the real daemon, podman, git and libgit2; nothing stands in.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "integration/daemon_fixture.hpp"
#include "integration/deploy_fixture.hpp"
#include "support/busybox_image.hpp"
#include "support/listener.hpp"
#include "support/mail_and_hooks.hpp"
#include "support/pushed_repository.hpp"
#include "support/registry.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

TEST_F(DeployTest, APushToDevelopEndsWithTheImagePushedAndTheDevOverlayCommitted) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "deploy-1"));
  ASSERT_EQ(r.status, 202) << r.body;
  const auto run = json::parse(r.body).at("run").as_int64();
  const auto deployment = wait_deployment(run, "success");
  ASSERT_FALSE(deployment.empty());
  const std::string tag = sha.substr(0, 12);
  EXPECT_EQ(deployment.at("environment").as_string(), "dev");
  EXPECT_EQ(deployment.at("image").as_string(), image);
  EXPECT_EQ(deployment.at("tag").as_string(), tag);
  const std::string digest(deployment.at("digest").as_string());
  EXPECT_TRUE(digest.starts_with("sha256:"));

  // The registry has the image under the short commit.
  EXPECT_NE(registry.tags("acme/app").find("\"" + tag + "\""), std::string::npos)
      << registry.tags("acme/app");
  // One new GitOps commit, touching only the dev overlay: the tag line changes and the
  // pushed digest is pinned beside the name, so what runs is what was pushed (and approved).
  const std::string ops = "-C " + (d.home() / "gitops.git").string() + " ";
  EXPECT_EQ(git(ops + "rev-list --count main"), "2\n");
  EXPECT_EQ(git(ops + "rev-parse main"),
            std::string(deployment.at("gitops_commit").as_string()) + "\n");
  EXPECT_EQ(git(ops + "diff --name-only main~1 main"), "overlays/dev/kustomization.yaml\n");
  const auto diff = git(ops + "diff -U0 main~1 main");
  // (A short commit YAML would read as a number, 1234567 or 12e4567, is written quoted.)
  int hunks = 0, removed = 0, added = 0;
  std::istringstream lines(diff);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("@@")) ++hunks;
    if (line.starts_with("-") && !line.starts_with("---")) ++removed;
    if (line.starts_with("+") && !line.starts_with("+++")) ++added;
  }
  EXPECT_EQ(hunks, 1) << diff;
  EXPECT_EQ(removed, 1) << diff;
  EXPECT_EQ(added, 2) << diff;
  EXPECT_NE(diff.find("\n+    digest: " + digest + "\n"), std::string::npos) << diff;
  EXPECT_NE(diff.find("\n-    newTag: old\n"), std::string::npos) << diff;
  EXPECT_TRUE(diff.find("\n+    newTag: " + tag + "\n") != std::string::npos ||
              diff.find("\n+    newTag: \"" + tag + "\"\n") != std::string::npos)
      << diff;
  EXPECT_EQ(git(ops + "log -1 --format=%an%n%s main"),
            "Juanie CI\ndeploy app " + tag + " to dev\n");
  EXPECT_NE(git(ops + "log -1 --format=%b main").find("source commit: " + sha), std::string::npos);

  // The run shows the image step, and the deployments list has it.
  auto run_json = json::parse(d.api("/api/v1/runs/" + std::to_string(run)).body).as_object();
  const auto& steps = run_json.at("steps").as_array();
  EXPECT_EQ(steps.back().at("name").as_string(), "image");
  EXPECT_EQ(steps.back().at("state").as_string(), "succeeded");
  auto list = json::parse(d.api("/api/v1/deployments?project=app").body).as_object();
  ASSERT_EQ(list.at("deployments").as_array().size(), 1u);
  EXPECT_EQ(list.at("deployments").as_array()[0].at("state").as_string(), "success");

  // The same commit pushed again (a forge retry under a new delivery id, once the run has
  // ended): the overlay already says so, and nothing more is committed.
  auto again = d.request("POST", "/hooks/github/app", body, github_headers(body, "deploy-2"));
  ASSERT_EQ(again.status, 202) << again.body;
  wait_deployment(json::parse(again.body).at("run").as_int64(), "success");
  EXPECT_EQ(git(ops + "rev-list --count main"), "2\n");

  // The metrics say the same: one push (the second deployment had nothing to push), two runs
  // that succeeded, and their image steps among the steps.
  const auto scrape = d.request("GET", "/metrics").body;
  for (const auto& [series, value] : std::vector<std::pair<std::string, std::string>>{
           {"juanie_gitops_pushes_total{result=\"pushed\"}", "1"},
           {"juanie_gitops_pushes_total{result=\"rejected\"}", "0"},
           {"juanie_gitops_pushes_total{result=\"failed\"}", "0"},
           {"juanie_run_duration_seconds_count{result=\"succeeded\"}", "2"},
           {"juanie_step_duration_seconds_count{result=\"succeeded\"}", "4"}}) {
    EXPECT_NE(scrape.find("\n" + series + " " + value + "\n"), std::string::npos)
        << series << " " << value << "\n"
        << scrape;
  }
}

// A crash after the push but before the record said so: the deployment is found `running` at
// the next start and carried out again — and the overlay, which already has the tag, gets no
// second commit.
TEST_F(DeployTest, AnInterruptedDeploymentIsResumedWithoutASecondCommit) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "resume-1"));
  ASSERT_EQ(r.status, 202) << r.body;
  const auto run = json::parse(r.body).at("run").as_int64();
  ASSERT_FALSE(wait_deployment(run, "success").empty());
  d.stop();
  const std::string db = (d.home() / "data/juanie.db").string();
  int status = 0;
  const auto out =
      sh("sqlite3 " + db + " \"UPDATE deployments SET state = 'running', finished_at = NULL\"",
         &status);
  ASSERT_EQ(status, 0) << out;
  ASSERT_TRUE(d.start()) << d.log();
  const auto resumed = wait_deployment(run, "success");
  EXPECT_NE(d.log().find("was interrupted by a restart; resuming"), std::string::npos) << d.log();
  EXPECT_EQ(git("-C " + (d.home() / "gitops.git").string() + " rev-list --count main"), "2\n");
  EXPECT_EQ(resumed.at("reason").as_string(), "the overlay already had this image");
}

// registry.auth names a file in secrets_dir; podman gets its path, and neither the password
// nor its base64 form shows up in the run's log.
TEST_F(DeployTest, ARegistryThatNeedsCredentialsGetsThemFromSecretsDir) {
  Registry secured(d.home() / "secured", "robot", "s3cret-pass");
  const std::string auth = "cm9ib3Q6czNjcmV0LXBhc3M=";  // base64 of robot:s3cret-pass
  d.home().write("secrets/registry-auth.json",
                 "{\"auths\": {\"" + secured.host() + "\": {\"auth\": \"" + auth + "\"}}}\n");
  d.home().write("projects.d/app.yaml",
                 "name: app\nrepo: {url: " + (d.home() / "app.git").string() +
                     ", forge: github, webhook_secret: app.webhook}\n"
                     "image: " +
                     secured.host() +
                     "/acme/app\n"
                     "registry: {tls_verify: false, auth: registry-auth.json, branch_tag: true}\n"
                     "gitops: {url: " +
                     (d.home() / "gitops.git").string() +
                     "}\n"
                     "branches: [{match: develop, environment: dev}]\n");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "secured-1"));
  ASSERT_EQ(r.status, 202) << r.body;
  const auto run = json::parse(r.body).at("run").as_int64();
  ASSERT_FALSE(wait_deployment(run, "success").empty());
  int status = 0;
  const auto tags = sh(
      "curl -s -u robot:s3cret-pass http://" + secured.host() + "/v2/acme/app/tags/list", &status);
  EXPECT_NE(tags.find("\"" + sha.substr(0, 12) + "\""), std::string::npos) << tags;
  EXPECT_NE(tags.find("\"develop\""), std::string::npos) << tags;  // branch_tag
  const auto log = d.api("/api/v1/runs/" + std::to_string(run) + "/log").body;
  EXPECT_NE(log.find("podman push"), std::string::npos) << log;
  EXPECT_EQ(log.find("s3cret-pass"), std::string::npos);
  EXPECT_EQ(log.find(auth), std::string::npos);
  EXPECT_EQ(d.log().find("s3cret-pass"), std::string::npos);
}

TEST_F(DeployTest, ADockerfileThatFailsFailsTheRunAndDeploysNothing) {
  // Its RUN line carries bytes that are not text (podman repeats the line in its error).
  sha = app->commit(
      {{"Dockerfile", "FROM localhost/juanie-busybox:test\nRUN exit 3 # \xff\xfe \x1b[31m red\n"}},
      "broken");
  // Whoever listens for run failures hears of it.
  HookReceiver hooks;
  d.home().write("secrets/hook.url", hooks.url());
  d.home().write("juanie.yaml",
                 read_file(d.home() / "juanie.yaml") +
                     "notifications: [{type: webhook, url: hook.url, events: [run_failed]}]\n"
                     "public_url: https://ci.example.com\n");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "broken-1"));
  ASSERT_EQ(r.status, 202);
  const auto run = json::parse(r.body).at("run").as_int64();
  const json::object last = d.wait_run(run, "failed");
  EXPECT_NE(std::string(last.at("reason").as_string()).find("image: podman build"),
            std::string::npos)
      << json::serialize(last);
  // The reason says why, in podman's own last line, without opening the log.
  EXPECT_NE(std::string(last.at("reason").as_string())
                .find("failed (exit 3): Error: building at STEP \"RUN exit 3 # ??  [31m red\""),
            std::string::npos)
      << json::serialize(last);
  EXPECT_TRUE(last.at("deployment").is_null());
  EXPECT_EQ(git("-C " + (d.home() / "gitops.git").string() + " rev-list --count main"), "1\n");
  const auto told = hooks.wait_for(1);
  ASSERT_EQ(told.size(), 1u) << d.log();
  const auto event = json::parse(told[0].body).as_object();
  EXPECT_EQ(event.at("event").as_string(), "run_failed");
  EXPECT_EQ(event.at("run").as_int64(), run);
  EXPECT_EQ(event.at("branch").as_string(), "develop");
  EXPECT_EQ(event.at("sha").as_string(), sha);
  EXPECT_TRUE(std::string(event.at("reason").as_string()).starts_with("image: podman build"));
  EXPECT_EQ(event.at("page").as_string(), "https://ci.example.com/runs/" + std::to_string(run))
      << "the message links to the run on the status page";
}

// A Dockerfile's RUN lines run as root, whom RLIMIT_NPROC does not bound: the image build's own
// cgroup does (pids.max 512, as for a step), every RUN line of it. 600 background sleeps cannot
// all start; nothing the engine made is left in any cgroup hierarchy.
TEST_F(DeployTest, AForkBombInADockerfileIsBoundedByTheBuildsCgroup) {
  // Unique, so that no layer cached by an earlier build answers for it.
  const std::string unique =
      std::to_string(::getpid()) + "-" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  // Two RUN lines: the engine removes each RUN container's cgroup when it ends, so the bound
  // must hold for the second as for the first.
  sha = app->commit({{"Dockerfile",
                      "FROM localhost/juanie-busybox:test\n"
                      "RUN echo " +
                          unique +
                          "\n"
                          "RUN set -e; for i in $(seq 600); do sleep 5 & done; wait\n"}},
                    "fork bomb");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "bomb-1"));
  ASSERT_EQ(r.status, 202);
  const auto run = json::parse(r.body).at("run").as_int64();
  const json::object last = d.wait_run(run, "failed");
  const auto log = d.api("/api/v1/runs/" + std::to_string(run) + "/log").body;
  EXPECT_NE(log.find("can't fork"), std::string::npos) << log;
  EXPECT_TRUE(last.at("deployment").is_null());
  const std::string pid = std::to_string(d.pid());
  ASSERT_EQ(d.stop(), 0) << d.log();
  // At any depth of any hierarchy (the daemon's own memory cgroup may be nested).
  const std::string left = sh("find /sys/fs/cgroup -maxdepth 4 -type d -name juanie-" + pid);
  EXPECT_EQ(left, "");
}

// An old push replayed (or a branch reset to an older commit) is built, but it does not move
// the environment back by itself: its deployment waits, saying why, until a person triggers
// it — a rollback on purpose. Nothing waiting is cancelled by it meanwhile.
TEST_F(DeployTest, AnOlderCommitPushedAgainDoesNotMoveTheEnvironmentBack) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string first_body = push_body("refs/heads/develop", sha);
  auto first =
      d.request("POST", "/hooks/github/app", first_body, github_headers(first_body, "old-1"));
  ASSERT_EQ(first.status, 202) << first.body;
  wait_deployment(json::parse(first.body).at("run").as_int64(), "success");
  const std::string newer = app->commit({{"VERSION", "2\n"}}, "newer");
  const std::string newer_body = push_body("refs/heads/develop", newer, sha);
  auto second =
      d.request("POST", "/hooks/github/app", newer_body, github_headers(newer_body, "new-1"));
  ASSERT_EQ(second.status, 202) << second.body;
  const auto current = wait_deployment(json::parse(second.body).at("run").as_int64(), "success");
  const std::string ops = "-C " + (d.home() / "gitops.git").string() + " ";
  const std::string commits = git(ops + "rev-list --count main");

  // The first push again, under a new delivery id.
  auto replay =
      d.request("POST", "/hooks/github/app", first_body, github_headers(first_body, "old-2"));
  ASSERT_EQ(replay.status, 202) << replay.body;
  const auto run = json::parse(replay.body).at("run").as_int64();
  json::object held;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = json::parse(d.api("/api/v1/runs/" + std::to_string(run)).body).as_object();
    if (r.at("deployment").is_object() && !r.at("deployment").at("reason").is_null()) {
      held = r.at("deployment").as_object();
      break;
    }
    ASSERT_NE(r.at("state").as_string(), "failed") << json::serialize(r);
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(held.empty()) << d.log();
  EXPECT_EQ(held.at("state").as_string(), "pending");
  EXPECT_NE(std::string(held.at("reason").as_string())
                .find("is older than " + newer.substr(0, 12) + ", which dev runs now"),
            std::string::npos)
      << json::serialize(held);
  EXPECT_EQ(git(ops + "rev-list --count main"), commits);
  EXPECT_NE(git(ops + "show main:overlays/dev/kustomization.yaml")
                .find(std::string(current.at("tag").as_string())),
            std::string::npos);

  // A person rolls back on purpose: the trigger carries it out, and the note goes.
  auto trigger =
      d.api_post("/api/v1/deployments/" + std::to_string(held.at("id").as_int64()) + "/trigger");
  ASSERT_EQ(trigger.status, 202) << trigger.body;
  auto rolled_back = wait_deployment(run, "success");
  // No Flux feedback in this project: the commit is all the daemon can know of.
  EXPECT_EQ(rolled_back.at("reason"), "committed; rollout not observed")
      << json::serialize(rolled_back);
  EXPECT_NE(git(ops + "rev-list --count main"), commits);

  // The branch is force-pushed away from the newer commit; a replay of the newer commit's
  // push (no longer the branch's history) does not deploy it by itself either.
  const std::string work = "-C " + app->work() + " ";
  git(work + "reset -q --hard " + sha);
  std::ofstream(app->work() + "/VERSION") << "3\n";
  git(work + "-c user.email=dev@example.com -c user.name=Dev commit -qam rewritten");
  git(work + "push -q -f " + app->bare() + " develop");
  auto stale =
      d.request("POST", "/hooks/github/app", newer_body, github_headers(newer_body, "new-2"));
  ASSERT_EQ(stale.status, 202) << stale.body;
  const auto stale_run = json::parse(stale.body).at("run").as_int64();
  json::object off_branch;
  const auto until = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < until && off_branch.empty()) {
    auto r = json::parse(d.api("/api/v1/runs/" + std::to_string(stale_run)).body).as_object();
    if (r.at("deployment").is_object() && !r.at("deployment").at("reason").is_null()) {
      off_branch = r.at("deployment").as_object();
    }
    ASSERT_NE(r.at("state").as_string(), "failed") << json::serialize(r);
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(off_branch.empty()) << d.log();
  EXPECT_EQ(off_branch.at("state").as_string(), "pending");
  EXPECT_NE(
      std::string(off_branch.at("reason").as_string()).find("is no longer on refs/heads/develop"),
      std::string::npos)
      << json::serialize(off_branch);
}

// The image build's RUN lines get a network only as a step does: behind NAT, never the host's
// loopback or link-local addresses, and no capabilities, bounded processes, whatever the
// Dockerfile says.
TEST_F(DeployTest, ABuildWithANetworkGoesOutOnlyThroughNatWithoutCapabilities) {
  std::optional<in_addr_t> outside;
  ifaddrs* list = nullptr;
  ASSERT_EQ(::getifaddrs(&list), 0);
  for (auto* i = list; i && !outside; i = i->ifa_next) {
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK) &&
        (i->ifa_flags & IFF_UP)) {
      outside = reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr;
    }
  }
  ::freeifaddrs(list);
  ASSERT_TRUE(outside) << "this host has no address but loopback";
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &*outside, text, sizeof text);
  Listener daemon_port(htonl(INADDR_LOOPBACK)), outside_port(*outside);
  const auto probe = [](const std::string& host, int port, const std::string& name) {
    return "RUN nc -w 5 " + host + " " + std::to_string(port) + " -e true && echo reached-" + name +
           " || echo no-" + name + "\n";
  };
  sha = app->commit(
      {{".juanie.yml",
        "steps:\n  - {name: test, commands: [\"true\"]}\n"
        "image: {dockerfile: Dockerfile, context: ., network: true}\n"},
       // The first line differs from run to run, so that no RUN line is answered from the cache.
       {"Dockerfile", "FROM localhost/juanie-busybox:test\nRUN echo probing " +
                          std::to_string(outside_port.port()) + " " +
                          std::to_string(daemon_port.port()) +
                          "\nRUN grep CapEff /proc/self/status\n"
                          "RUN echo nproc=$(ulimit -u)\nRUN cat /proc/net/route\n" +
                          probe(text, outside_port.port(), "outside") +
                          probe("127.0.0.1", daemon_port.port(), "loopback") +
                          probe("10.0.2.2", daemon_port.port(), "host-loopback") +
                          probe("169.254.169.254", 80, "link-local")}},
      "network");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "network-1"));
  ASSERT_EQ(r.status, 202);
  const auto run = json::parse(r.body).at("run").as_int64();
  ASSERT_FALSE(wait_deployment(run, "success").empty());
  const auto log = d.api("/api/v1/runs/" + std::to_string(run) + "/log").body;
  for (const char* seen :
       {"CapEff:\t0000000000000000", "nproc=512", "\ntap0", "\nreached-outside", "\nno-loopback",
        "\nno-host-loopback", "169.254.169.254): Permission denied", "\nno-link-local"}) {
    EXPECT_NE(log.find(seen), std::string::npos) << seen << "\n" << log;
  }
}

// A tag never moves: an image the registry already holds under the commit's tag — pushed by
// someone else, or by a branch whose commit was ground onto the same prefix — is not replaced,
// and nothing deploys. (The same commit built again reuses its own image: the first test.)
TEST_F(DeployTest, AnImageUnderAnExistingTagIsNeverReplaced) {
  const std::string tag = sha.substr(0, 12);
  int status = 0;
  const auto squatted = sh("podman tag " + ensure_busybox_image() + " " + image + ":" + tag +
                               " && podman push --tls-verify=false " + image + ":" + tag + " 2>&1" +
                               " && podman rmi " + image + ":" + tag + " >/dev/null 2>&1",
                           &status);
  ASSERT_EQ(status, 0) << squatted;
  const std::string before =
      sh("curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json, "
         "application/vnd.docker.distribution.manifest.v2+json' http://" +
         registry.host() + "/v2/acme/app/manifests/" + tag + " | grep -i docker-content-digest");
  ASSERT_NE(before.find("sha256:"), std::string::npos) << before;

  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "squat-1"));
  ASSERT_EQ(r.status, 202) << r.body;
  const auto run = json::parse(r.body).at("run").as_int64();
  const json::object last = d.wait_run(run, "failed");
  EXPECT_NE(
      std::string(last.at("reason").as_string()).find(image + ":" + tag + " already names sha256:"),
      std::string::npos)
      << json::serialize(last);
  EXPECT_TRUE(last.at("deployment").is_null());
  // The registry still has the image that was there, and the overlay did not change.
  EXPECT_EQ(
      sh("curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json, "
         "application/vnd.docker.distribution.manifest.v2+json' http://" +
         registry.host() + "/v2/acme/app/manifests/" + tag + " | grep -i docker-content-digest"),
      before);
  EXPECT_EQ(git("-C " + (d.home() / "gitops.git").string() + " rev-list --count main"), "1\n");
}

// The deployment reports on the deployed run's commit, beside the run's own status, under
// juanie/deploy/<environment>: to be deployed, deploying, then deployed.
TEST_F(DeployTest, TheDeploymentReportsOnTheRunsCommit) {
  HookReceiver forge;
  // The repository's path is the forge's owner/repo: a file:// URL gives one to the local repo.
  std::ifstream in(d.home() / "projects.d/app.yaml");
  std::string project((std::istreambuf_iterator<char>(in)), {});
  const std::string url = "url: " + (d.home() / "app.git").string();
  project.replace(project.find(url), url.size(),
                  "url: \"file://" + (d.home() / "app.git").string() + "\"");
  const std::string secret = "webhook_secret: app.webhook}";
  project.replace(
      project.find(secret), secret.size(),
      "webhook_secret: app.webhook, status_token: app.status, api_url: \"" + forge.url("") + "\"}");
  d.home().write("projects.d/app.yaml", project);
  d.home().write("secrets/app.status", "deploy-status-token\n");
  d.home().write("juanie.yaml",
                 read_file(d.home() / "juanie.yaml") + "public_url: https://ci.example.com/\n");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "deploy-status"));
  ASSERT_EQ(r.status, 202) << r.body;
  const auto run = json::parse(r.body).at("run").as_int64();
  const auto deployment = wait_deployment(run, "success");
  ASSERT_FALSE(deployment.empty());

  std::string repo = (d.home() / "app").string().substr(1);  // without the leading "/"
  const std::string path = "/repos/" + repo + "/statuses/" + sha;
  std::vector<json::object> deploys, runs;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    deploys.clear();
    runs.clear();
    for (const auto& req : forge.received()) {
      EXPECT_EQ(req.path(), path);
      EXPECT_EQ(req.header("Authorization").value_or(""), "Bearer deploy-status-token");
      auto o = json::parse(req.body).as_object();
      (o.at("context").as_string() == "juanie/deploy/dev" ? deploys : runs).push_back(o);
    }
    if (!deploys.empty() && deploys.back().at("state").as_string() == "success") break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(deploys.empty()) << d.log();
  // Each links to its page on the status page: the deployment's, and the run's.
  EXPECT_EQ(deploys.back(),
            (json::object{{"state", "success"},
                          {"description", "deployed to dev"},
                          {"context", "juanie/deploy/dev"},
                          {"target_url", "https://ci.example.com/deployments/" +
                                             std::to_string(deployment.at("id").as_int64())}}))
      << json::serialize(deploys.back());
  for (std::size_t i = 0; i + 1 < deploys.size(); ++i) {
    EXPECT_EQ(deploys[i].at("state").as_string(), "pending") << json::serialize(deploys[i]);
  }
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(runs.back().at("state").as_string(), "success");
  EXPECT_EQ(runs.back().at("context").as_string(), "juanie/app");
  EXPECT_EQ(runs.back().at("target_url").as_string(),
            "https://ci.example.com/runs/" + std::to_string(run));
}

}  // namespace
}  // namespace juanie::test
