// Flux's word on a rollout decides a deployment: the real daemon, registry, podman and GitOps
// repository, with Flux's notification-controller played by signed HTTP posts in its wire
// format (generic-hmac provider) — a cluster cannot run here.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>

#include "daemon/support/crypto.hpp"
#include "integration/deploy_fixture.hpp"
#include "support/mail_and_hooks.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;

const std::string kFluxKey = "app-flux-hmac-key";

std::string flux_event(const std::string& reason, const std::string& severity,
                       const std::string& commit, const std::string& kustomization = "app-dev") {
  json::object o;
  o["involvedObject"] = json::object{
      {"kind", "Kustomization"}, {"namespace", "flux-system"}, {"name", kustomization}};
  o["severity"] = severity;
  o["timestamp"] = "2026-11-30T12:00:00Z";
  o["message"] = reason == "HealthCheckFailed"
                     ? "Health check failed after 30s: timeout waiting for: "
                       "[Deployment/dev/app status: 'InProgress']"
                     : "Applied revision: main@sha1:" + commit;
  o["reason"] = reason;
  o["metadata"] = json::object{{"kustomize.toolkit.fluxcd.io/revision", "main@sha1:" + commit}};
  o["reportingController"] = "kustomize-controller";
  return json::serialize(o);
}

class RolloutTest : public DeployTest {
 protected:
  void SetUp() override {
    DeployTest::SetUp();
    d.home().write("secrets/app.flux", kFluxKey + "\n");
    std::ofstream(d.home() / "projects.d/app.yaml", std::ios::app)
        << "flux: {hmac_key: app.flux}\n";
  }

  int post_flux(const std::string& body, const std::string& key = kFluxKey) {
    return d
        .request("POST", "/hooks/flux/app", body,
                 {{"Content-Type", "application/json"},
                  {"X-Signature", "sha256=" + daemon::hex_encode(daemon::hmac_sha256(key, body))}})
        .status;
  }

  // Pushes a commit of develop with VERSION `version`; its deployment once in `state`.
  json::object push(const std::string& version, const std::string& state) {
    if (version != "1") sha = app->commit({{"VERSION", version + "\n"}}, "v" + version);
    const std::string body = push_body("refs/heads/develop", sha);
    auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "v" + version));
    EXPECT_EQ(r.status, 202) << r.body;
    return wait_deployment(json::parse(r.body).at("run").as_int64(), state);
  }

  json::object deployment(std::int64_t id) {
    return json::parse(d.api("/api/v1/deployments/" + std::to_string(id)).body).as_object();
  }

  json::object wait_state(std::int64_t id, const std::string& state) {
    json::object last;
    for (int i = 0; i < 1200; ++i) {
      last = deployment(id);
      if (last.at("state").as_string() == state) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "deployment " << id << " never " << state << ": " << json::serialize(last)
                  << d.log();
    return last;
  }

  json::object environment(const std::string& name) {
    auto all = json::parse(d.api("/api/v1/projects/app/environments").body).as_object();
    for (const auto& e : all.at("environments").as_array()) {
      if (e.at("name").as_string() == name) return e.as_object();
    }
    return {};
  }

  std::string gitops(const std::string& args) {
    return git("-C " + (d.home() / "gitops.git").string() + " " + args);
  }
  static std::string text(const json::value& v) { return std::string(v.as_string()); }
};

TEST_F(RolloutTest, FluxDecidesRolloutsAndAFailedOneIsRolledBackByANewCommit) {
  HookReceiver hooks;
  d.home().write("secrets/hook.url", hooks.url());
  d.home().write("juanie.yaml", read_file(d.home() / "juanie.yaml") +
                                    "notifications: [{type: webhook, url: hook.url, events: "
                                    "[deployment_rolled_back]}]\n");
  ASSERT_TRUE(d.start()) << d.log();

  // 1. Committed, the deployment waits for Flux; a signed ReconciliationSucceeded for its
  // revision makes it a success.
  auto first = push("1", "deploying");
  ASSERT_FALSE(first.empty());
  const auto first_id = first.at("id").as_int64();
  const std::string first_commit = text(first.at("gitops_commit"));
  const std::string first_tag = text(first.at("tag"));
  const std::string first_digest = text(first.at("digest"));
  EXPECT_EQ(text(environment("dev").at("state")), "updating");
  ASSERT_EQ(post_flux(flux_event("ReconciliationSucceeded", "info", first_commit)), 202);
  first = wait_state(first_id, "success");
  EXPECT_NE(text(first.at("reason")).find("Flux: ReconciliationSucceeded"), std::string::npos);
  EXPECT_EQ(text(environment("dev").at("state")), "active");

  // 2. The next one: what must change nothing changes nothing while it waits.
  auto second = push("2", "deploying");
  ASSERT_FALSE(second.empty());
  const auto second_id = second.at("id").as_int64();
  const std::string second_commit = text(second.at("gitops_commit"));
  const auto failed = flux_event("HealthCheckFailed", "error", second_commit);
  EXPECT_EQ(post_flux(failed, "not-the-key"), 401);  // forged
  EXPECT_EQ(
      d.request("POST", "/hooks/flux/app", failed, {{"Content-Type", "application/json"}}).status,
      401);  // unsigned
  // Stale: the first deployment was decided already.
  ASSERT_EQ(post_flux(flux_event("HealthCheckFailed", "error", first_commit)), 202);
  // Another object's news, and a revision no deployment has.
  ASSERT_EQ(post_flux(flux_event("HealthCheckFailed", "error", second_commit, "app-monitoring")),
            202);
  ASSERT_EQ(post_flux(flux_event("HealthCheckFailed", "error", std::string(40, 'a'))), 202);
  ASSERT_TRUE(d.wait_for_log("changed nothing: unknown_revision")) << d.log();
  EXPECT_NE(d.log().find("changed nothing: stale"), std::string::npos) << d.log();
  EXPECT_NE(d.log().find("changed nothing: other_environment"), std::string::npos) << d.log();
  EXPECT_EQ(text(deployment(second_id).at("state")), "deploying");
  EXPECT_EQ(text(deployment(first_id).at("state")), "success");

  // 3. Flux says the second's health check failed: dev rolls back by a new commit restoring
  // the first image, tag and digest.
  ASSERT_EQ(post_flux(failed), 202);
  second = wait_state(second_id, "rolled_back");
  EXPECT_NE(text(second.at("reason")).find("HealthCheckFailed: Health check failed"),
            std::string::npos)
      << json::serialize(second);
  const std::string rollback_commit = text(second.at("rollback_commit"));
  EXPECT_EQ(gitops("rev-parse main"), rollback_commit + "\n");
  EXPECT_EQ(gitops("rev-list --count main"), "4\n");            // init, first, second, the rollback
  EXPECT_EQ(gitops("rev-parse main~1"), second_commit + "\n");  // no history rewritten
  const auto overlay = gitops("show main:overlays/dev/kustomization.yaml");
  EXPECT_NE(overlay.find(first_tag), std::string::npos) << overlay;
  EXPECT_NE(overlay.find("digest: " + first_digest), std::string::npos) << overlay;
  EXPECT_EQ(yaml_as_read(gitops("show main:overlays/dev/kustomization.yaml")),
            yaml_as_read(gitops("show " + first_commit + ":overlays/dev/kustomization.yaml")));
  EXPECT_NE(gitops("log -1 --format=%s main").find("Roll back dev to "), std::string::npos);

  // The notification says what failed and what was restored.
  const auto told = hooks.wait_for(1);
  ASSERT_EQ(told.size(), 1u) << d.log();
  const auto message = json::parse(told[0].body).as_object();
  EXPECT_EQ(text(message.at("event")), "deployment_rolled_back");
  EXPECT_EQ(message.at("deployment").as_int64(), second_id);
  EXPECT_EQ(text(message.at("restored_tag")), first_tag);
  EXPECT_EQ(text(message.at("rollback_commit")), rollback_commit);
  EXPECT_NE(text(message.at("reason")).find("HealthCheckFailed"), std::string::npos);

  // 4. The rollback is a deployment of its own, watched the same way.
  auto list = json::parse(d.api("/api/v1/deployments?project=app").body).as_object();
  const auto rollback = list.at("deployments").as_array().at(0).as_object();
  EXPECT_EQ(rollback.at("rollback_of").as_int64(), second_id);
  EXPECT_EQ(text(rollback.at("tag")), first_tag);
  EXPECT_EQ(text(rollback.at("state")), "deploying");
  ASSERT_EQ(post_flux(flux_event("ReconciliationSucceeded", "info", rollback_commit)), 202);
  wait_state(rollback.at("id").as_int64(), "success");
  const auto dev = environment("dev");
  EXPECT_EQ(text(dev.at("state")), "active") << json::serialize(dev);
  EXPECT_EQ(text(dev.at("current").at("tag")), first_tag);
  EXPECT_EQ(text(dev.at("current").at("gitops_commit")), rollback_commit);

  // 5. A replay of the failure, after it was acted on, changes nothing.
  ASSERT_EQ(post_flux(failed), 202);
  ASSERT_TRUE(d.wait_for_log("HealthCheckFailed) changed nothing: stale")) << d.log();
  EXPECT_EQ(text(deployment(second_id).at("state")), "rolled_back");
  EXPECT_EQ(gitops("rev-list --count main"), "4\n");

  const auto metrics = d.request("GET", "/metrics").body;
  EXPECT_NE(metrics.find(R"(juanie_flux_events_total{result="applied"} 3)"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(juanie_rollbacks_total{environment="dev",trigger="auto"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(
      metrics.find(R"(juanie_rollout_duration_seconds_count{environment="dev",result="failed"} 1)"),
      std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(juanie_deployments{environment="dev",state="rolled_back"} 1)"),
            std::string::npos);
}

// Every environment's Kustomization follows the GitOps branch, so Flux reports its tip: a
// staging commit made after dev's carries dev's change, and Flux's word on it decides dev's
// rollout too.
TEST_F(RolloutTest, FluxReportingTheBranchTipDecidesEveryRolloutItContains) {
  const std::string ops = d.home().path().string() + "/ops-work";
  git("clone -q " + (d.home() / "gitops.git").string() + " " + ops);
  d.home().write("ops-work/overlays/staging/kustomization.yaml",
                 std::string(kOverlay) + "  - name: " + image + "\n    newTag: old\n");
  git("-C " + ops + " add -A");
  git("-C " + ops + " -c user.name=Ops -c user.email=ops@example.com commit -qm staging");
  git("-C " + ops + " push -q origin main");
  auto project = read_file(d.home() / "projects.d/app.yaml");
  project.replace(project.find("branches: [{match: develop, environment: dev}]"), 46,
                  "branches: [{match: develop, environment: dev}, "
                  "{match: \"release/*\", environment: staging}]");
  d.home().write("projects.d/app.yaml", project);
  ASSERT_TRUE(d.start()) << d.log();

  auto dev = push("1", "deploying");
  ASSERT_FALSE(dev.empty());
  const std::string body = push_body("refs/heads/release/1", sha);
  auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "release-1"));
  ASSERT_EQ(r.status, 202) << r.body;
  auto staging = wait_deployment(json::parse(r.body).at("run").as_int64(), "deploying");
  ASSERT_FALSE(staging.empty());
  const std::string tip = text(staging.at("gitops_commit"));
  ASSERT_EQ(gitops("rev-parse main~1"), text(dev.at("gitops_commit")) + "\n");

  // Flux's dev Kustomization applied the tip, which holds dev's commit.
  ASSERT_EQ(post_flux(flux_event("ReconciliationSucceeded", "info", tip)), 202);
  dev = wait_state(dev.at("id").as_int64(), "success");
  EXPECT_EQ(text(deployment(staging.at("id").as_int64()).at("state")), "deploying");
  // Staging's own verdict; nothing earlier succeeded there, so nothing to go back to.
  ASSERT_EQ(post_flux(flux_event("HealthCheckFailed", "error", tip, "app-staging")), 202);
  staging = wait_state(staging.at("id").as_int64(), "failed");
  EXPECT_NE(text(staging.at("reason")).find("not rolled back: no earlier successful deployment"),
            std::string::npos)
      << json::serialize(staging);
  EXPECT_EQ(text(environment("staging").at("state")), "degraded");
  EXPECT_EQ(text(environment("dev").at("state")), "active");
}

// An operator commits on the GitOps branch after juanie's push: Flux reports that newer tip,
// which the daemon fetches to see it carries the deployment's commit; the rollout succeeds.
TEST_F(RolloutTest, AnOperatorsCommitAfterJuaniesPushDecidesTheRolloutItCarries) {
  ASSERT_TRUE(d.start()) << d.log();
  auto dev = push("1", "deploying");
  ASSERT_FALSE(dev.empty());
  const std::string ops = d.home().path().string() + "/ops-work";
  git("clone -q " + (d.home() / "gitops.git").string() + " " + ops);
  d.home().write("ops-work/NOTES.md", "scaled app to 3 replicas\n");
  git("-C " + ops + " add -A");
  git("-C " + ops + " -c user.name=Ops -c user.email=ops@example.com commit -qm notes");
  git("-C " + ops + " push -q origin main");
  std::string tip = gitops("rev-parse main");
  tip.pop_back();  // the newline
  ASSERT_NE(tip, text(dev.at("gitops_commit")));
  ASSERT_EQ(post_flux(flux_event("ReconciliationSucceeded", "info", tip)), 202);
  dev = wait_state(dev.at("id").as_int64(), "success");
  EXPECT_EQ(text(dev.at("reason")).rfind("Flux: ReconciliationSucceeded", 0), 0u)
      << json::serialize(dev);
}

TEST_F(RolloutTest, ARolloutFluxNeverReportsFailsAtItsTimeout) {
  d.home().write("juanie.yaml",
                 read_file(d.home() / "juanie.yaml") + "limits:\n  rollout_timeout: 2s\n");
  ASSERT_TRUE(d.start()) << d.log();
  auto silent = push("1", "deploying");
  ASSERT_FALSE(silent.empty());
  silent = wait_state(silent.at("id").as_int64(), "failed");
  // Nothing earlier to go back to: the failure stands and says so.
  EXPECT_NE(text(silent.at("reason"))
                .find("no word from Flux on commit " + text(silent.at("gitops_commit"))),
            std::string::npos)
      << json::serialize(silent);
  EXPECT_NE(text(silent.at("reason")).find("not rolled back: no earlier successful deployment"),
            std::string::npos)
      << json::serialize(silent);
  EXPECT_EQ(text(environment("dev").at("state")), "degraded");
  // A late word from Flux does not revive it.
  ASSERT_EQ(
      post_flux(flux_event("ReconciliationSucceeded", "info", text(silent.at("gitops_commit")))),
      202);
  ASSERT_TRUE(d.wait_for_log("changed nothing: stale")) << d.log();
  EXPECT_EQ(text(deployment(silent.at("id").as_int64()).at("state")), "failed");
}

// By hand: `juanie rollback` through the API; where the environment gates changes the
// rollback waits for approval unless it says rollback_approval: none.
TEST_F(RolloutTest, JuanieRollbackRestoresAnEarlierImageAndHonoursTheApprovalPolicy) {
  d.add_api_token("alice-laptop", "alice-secret-token", "alice");
  ASSERT_TRUE(d.start()) << d.log();
  auto first = push("1", "deploying");
  ASSERT_EQ(
      post_flux(flux_event("ReconciliationSucceeded", "info", text(first.at("gitops_commit")))),
      202);
  wait_state(first.at("id").as_int64(), "success");
  auto second = push("2", "deploying");
  ASSERT_EQ(
      post_flux(flux_event("ReconciliationSucceeded", "info", text(second.at("gitops_commit")))),
      202);
  wait_state(second.at("id").as_int64(), "success");

  const std::string cli = std::string(JUANIE_BINARY) +
                          " rollback --url http://127.0.0.1:" + std::to_string(d.port()) + " ";
  int status = 0;
  auto out =
      sh("JUANIE_API_TOKEN=" + std::string(kApiToken) + " " + cli + "app dev --to no-such-tag 2>&1",
         &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("409 no successful deployment of tag no-such-tag to dev"), std::string::npos)
      << out;
  out = sh("JUANIE_API_TOKEN=" + std::string(kApiToken) + " " + cli + "app dev 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("back to " + image + ":" + text(first.at("tag")) + " (undoing deployment " +
                     std::to_string(second.at("id").as_int64()) + "): running"),
            std::string::npos)
      << out;
  auto list = json::parse(d.api("/api/v1/deployments?project=app").body).as_object();
  const auto rollback = list.at("deployments").as_array().at(0).as_object();
  const auto done = wait_state(rollback.at("id").as_int64(), "deploying");
  EXPECT_EQ(text(done.at("triggered_by")), "tests");
  EXPECT_EQ(yaml_as_read(gitops("show main:overlays/dev/kustomization.yaml")),
            yaml_as_read(gitops("show " + text(first.at("gitops_commit")) +
                                ":overlays/dev/kustomization.yaml")));
  // A successful deployment rolled back by hand was not a failure: it stays success, marked
  // as rolled back, so the next plain rollback does not go back to it.
  const auto undone = deployment(second.at("id").as_int64());
  EXPECT_EQ(text(undone.at("state")), "success");
  EXPECT_EQ(undone.at("rollback_commit"), done.at("gitops_commit"));
  ASSERT_EQ(
      post_flux(flux_event("ReconciliationSucceeded", "info", text(done.at("gitops_commit")))),
      202);
  wait_state(rollback.at("id").as_int64(), "success");
  auto twice = d.api_post("/api/v1/projects/app/environments/dev/rollback");
  EXPECT_EQ(twice.status, 409) << twice.body;
  EXPECT_NE(twice.body.find("no earlier successful deployment of dev"), std::string::npos)
      << twice.body;

  // dev now gates changes behind alice's approval: a rollback waits for it...
  std::ofstream(d.home() / "projects.d/app.yaml", std::ios::app)
      << "environments: {dev: {approval: required, approvers: [alice], required_approvals: 1}}\n"
         "approvers: {alice: {email: alice@example.com}}\n";
  d.signal(SIGHUP);
  ASSERT_TRUE(d.wait_for_log("reloaded")) << d.log();
  // (asked for by alice's token: she counts as its author, so where self-approval is not
  // allowed her own link cannot approve it)
  auto gated = d.request("POST", "/api/v1/projects/app/environments/dev/rollback",
                         R"({"deployment": )" + std::to_string(second.at("id").as_int64()) + "}",
                         {{"Authorization", "Bearer alice-secret-token"}});
  ASSERT_EQ(gated.status, 202) << gated.body;
  EXPECT_EQ(text(json::parse(gated.body).at("state")), "awaiting_approval") << gated.body;
  const auto gated_id = json::parse(gated.body).at("deployment").as_int64();
  EXPECT_EQ(text(deployment(gated_id).at("triggered_by")), "alice-laptop");
  EXPECT_EQ(text(deployment(gated_id).at("triggered_person")), "alice");
  // ... one at a time, and what is not a rollback is refused with the reason ...
  auto again = d.api_post("/api/v1/projects/app/environments/dev/rollback");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("already rolls back"), std::string::npos) << again.body;
  EXPECT_EQ(d.api_post("/api/v1/projects/app/environments/dev/rollback", R"({"to": 5})").status,
            400);
  EXPECT_EQ(d.api_post("/api/v1/projects/app/environments/qa/rollback").status, 404);
  ASSERT_EQ(d.api_post("/api/v1/deployments/" + std::to_string(gated_id) + "/cancel").status, 200);
  EXPECT_EQ(d.api_post("/api/v1/projects/app/environments/dev/rollback",
                       R"({"deployment": )" + std::to_string(gated_id + 100) + "}")
                .status,
            422);
  // ... unless the environment says rollback_approval: none.
  auto project = read_file(d.home() / "projects.d/app.yaml");
  project.replace(project.find("required_approvals: 1}"), 22,
                  "required_approvals: 1, rollback_approval: none}");
  d.home().write("projects.d/app.yaml", project);
  d.signal(SIGHUP);
  auto reloads = [&] {
    std::size_t n = 0;
    const auto log = d.log();
    for (auto at = log.find("reloaded"); at != std::string::npos; at = log.find("reloaded", at + 1))
      ++n;
    return n;
  };
  for (int i = 0; i < 600 && reloads() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(reloads(), 2u) << d.log();
  auto ungated =
      d.api_post("/api/v1/projects/app/environments/dev/rollback",
                 R"({"deployment": )" + std::to_string(second.at("id").as_int64()) + "}");
  ASSERT_EQ(ungated.status, 202) << ungated.body;
  EXPECT_EQ(text(json::parse(ungated.body).at("state")), "running") << ungated.body;
}

}  // namespace
}  // namespace juanie::test
