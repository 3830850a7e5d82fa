// Rollouts across crashes, backlogs and refusals, with the real daemon, registry, podman and a
// real git host for the GitOps repository (its receive hooks hold or refuse pushes at the
// moments the tests choose).
#include <gtest/gtest.h>

#include "daemon/flux/flux_event.hpp"
#include "daemon/store/flux_events.hpp"
#include "daemon/support/clock.hpp"
#include "integration/rollout_fixture.hpp"
#include "support/temp_store.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

using RolloutCrashTest = RolloutFixture;

// kill -9 after the GitOps push landed but before the deployment was recorded `deploying`:
// the restarted daemon finds it `running`, carries it out again — the overlay already has the
// image, so nothing is committed twice — and watches the commit that landed.
TEST_F(RolloutCrashTest, AKillAfterTheGitOpsPushLeavesOneCommitAndTheRolloutWatched) {
  ASSERT_TRUE(d.start()) << d.log();
  HeldHook hook(gitops_repository(), "post-receive");
  const auto run = push_version("1");
  ASSERT_TRUE(hook.wait_reached(300s)) << d.log();
  // The branch moved; the daemon has not heard so: its deployment is still being written.
  const std::string landed = gitops("rev-parse main");
  ASSERT_EQ(gitops("rev-list --count main"), "2\n");
  auto seen = json::parse(d.api("/api/v1/runs/" + std::to_string(run)).body).as_object();
  ASSERT_TRUE(seen.at("deployment").is_object()) << json::serialize(seen);
  const auto id = seen.at("deployment").at("id").as_int64();
  EXPECT_EQ(text(seen.at("deployment").at("state")), "running");
  EXPECT_TRUE(seen.at("deployment").at("gitops_commit").is_null());
  d.kill9();
  hook.release();

  ASSERT_TRUE(d.start()) << d.log();
  auto resumed = wait_state(id, "deploying");
  EXPECT_EQ(text(resumed.at("gitops_commit")) + "\n", landed);
  EXPECT_EQ(gitops("rev-list --count main"), "2\n") << "a second commit for one deployment";
  EXPECT_EQ(gitops("log --format=%s main"),
            "deploy app " + text(resumed.at("tag")) + " to dev\ninit\n");
  // Flux's word on the commit that landed decides it.
  ASSERT_EQ(post_flux(signed_flux_event("ReconciliationSucceeded", "info",
                                        "main@sha1:" + text(resumed.at("gitops_commit")))),
            202);
  wait_state(id, "success");
  EXPECT_EQ(text(environment("dev").at("state")), "active");
  EXPECT_EQ(gitops("rev-list --count main"), "2\n");
}

// More signed events than one pass takes (100) stored while the daemon was down: at the next
// start every one is weighed, in order — the verdict among them applies, not the rollout
// timeout that passed meanwhile — and the metrics count each by what it did.
TEST_F(RolloutCrashTest, ABacklogOfFluxEventsIsWeighedInOrderAfterARestart) {
  ASSERT_TRUE(d.start()) << d.log();
  auto first = push("1", "deploying");
  ASSERT_FALSE(first.empty());
  const auto id = first.at("id").as_int64();
  const std::string commit = text(first.at("gitops_commit"));
  d.kill9();

  // What the hook stores for each signed event (verify, parse, record), done while the daemon
  // is down: the events it acknowledged but had not acted on when it died.
  std::vector<std::string> bodies;
  for (int i = 0; i < 60; ++i)  // progress: no verdict
    bodies.push_back(signed_flux_event("Progressing", "info", "main@sha1:" + sha_for(i)));
  for (int i = 0; i < 25; ++i)  // another Kustomization
    bodies.push_back(signed_flux_event("HealthCheckFailed", "error",
                                       "main@sha1:" + (i == 0 ? commit : sha_for(100 + i)),
                                       "app-monitoring"));
  for (int i = 0; i < 20; ++i)  // dev's name in another namespace
    bodies.push_back(signed_flux_event("HealthCheckFailed", "error",
                                       "main@sha1:" + (i == 0 ? commit : sha_for(200 + i)),
                                       "app-dev", "team-b"));
  for (int i = 0; i < 15; ++i)  // failures of commits no deployment has
    bodies.push_back(signed_flux_event("PruneFailed", "error", "main@sha1:" + sha_for(300 + i)));
  bodies.push_back(signed_flux_event("ReconciliationSucceeded", "info", "main@sha1:" + commit,
                                     "app-dev", "flux-system", "Applied revision"));
  // A failure of the same commit after its success is a late word.
  for (const auto& revision : {"main/" + commit, "sha1:" + commit, commit})
    bodies.push_back(signed_flux_event("HealthCheckFailed", "error", revision));
  ASSERT_GT(bodies.size(), 100u);
  {
    std::unique_ptr<daemon::store::Writer> writer;
    std::optional<daemon::store::Reader> reader;
    ASSERT_NO_FATAL_FAILURE(open_store(d.home() / "data/juanie.db", writer, reader));
    for (const auto& body : bodies) {
      ASSERT_TRUE(daemon::flux::verify_flux_signature(flux_signature(body), body, kRolloutFluxKey));
      auto event = daemon::flux::parse_flux_event(body);
      ASSERT_TRUE(event) << event.error().message;
      auto ok =
          daemon::store::write_and_wait(*writer, [&](daemon::store::Database& db) -> Result<void> {
            auto stored = daemon::store::record_flux_event(
                db, "app", *event, daemon::rfc3339(std::chrono::system_clock::now()));
            if (!stored) return std::unexpected(stored.error());
            EXPECT_TRUE(stored->created) << body;
            return {};
          });
      ASSERT_TRUE(ok) << ok.error().message;
    }
    writer->stop();
  }
  // The rollout timeout passes while the daemon is down: were it judged before the whole
  // backlog, the deployment would fail for want of a word that is in the backlog.
  d.home().write("juanie.yaml",
                 read_file(d.home() / "juanie.yaml") + "limits:\n  rollout_timeout: 1s\n");
  const auto committed = daemon::parse_rfc3339(text(first.at("committed_at")));
  ASSERT_TRUE(committed);
  while (std::chrono::system_clock::now() < *committed + 2s)  // a precondition, not a wait
    std::this_thread::sleep_for(100ms);                       // on another process

  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_TRUE(all_flux_events_weighed()) << d.log();
  const auto decided = deployment(id);
  EXPECT_EQ(text(decided.at("state")), "success") << json::serialize(decided);
  EXPECT_EQ(text(decided.at("reason")), "Flux: ReconciliationSucceeded: Applied revision");
  EXPECT_EQ(flux_outcomes("no_verdict"), 60);
  EXPECT_EQ(flux_outcomes("other_environment"), 45);
  EXPECT_EQ(flux_outcomes("unknown_revision"), 15);
  EXPECT_EQ(flux_outcomes("applied"), 1);
  EXPECT_EQ(flux_outcomes("stale"), 3);
  EXPECT_EQ(gitops("rev-list --count main"), "2\n") << "nothing was rolled back";
  const auto metrics = d.request("GET", "/metrics").body;
  for (const auto& [result, n] : std::vector<std::pair<std::string, int>>{{"no_verdict", 60},
                                                                          {"other_environment", 45},
                                                                          {"unknown_revision", 15},
                                                                          {"applied", 1},
                                                                          {"stale", 3}}) {
    EXPECT_NE(metrics.find("juanie_flux_events_total{result=\"" + result + "\"} " +
                           std::to_string(n) + "\n"),
              std::string::npos)
        << result << "\n"
        << metrics;
  }
  EXPECT_NE(
      metrics.find(
          "juanie_rollout_duration_seconds_count{environment=\"dev\",result=\"success\"} 1\n"),
      std::string::npos)
      << metrics;
}

// A rollback by hand while the deployment it undoes is still being rolled out is carried
// out: that rollout is over (its image no longer runs), it ends rolled_back naming the
// rollback's commit, and Flux's late word on it changes nothing. While a newer deployment is
// still being written, a rollback is refused, saying which.
TEST_F(RolloutCrashTest, ARollbackByHandDuringARolloutEndsItAndOneDuringAWriteIsRefused) {
  ASSERT_TRUE(d.start()) << d.log();
  auto first = push("1", "deploying");
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(post_flux(signed_flux_event("ReconciliationSucceeded", "info",
                                        "main@sha1:" + text(first.at("gitops_commit")))),
            202);
  wait_state(first.at("id").as_int64(), "success");
  auto second = push("2", "deploying");
  ASSERT_FALSE(second.empty());
  const auto second_id = second.at("id").as_int64();
  const std::string second_commit = text(second.at("gitops_commit"));

  auto r = d.api_post("/api/v1/projects/app/environments/dev/rollback");
  ASSERT_EQ(r.status, 202) << r.body;
  const auto answer = json::parse(r.body).as_object();
  EXPECT_EQ(answer.at("rolls_back").as_int64(), second_id);
  EXPECT_EQ(text(answer.at("tag")), text(first.at("tag")));
  const auto rollback_id = answer.at("deployment").as_int64();
  const auto rollback = wait_state(rollback_id, "deploying");
  const std::string rollback_commit = text(rollback.at("gitops_commit"));
  const auto undone = wait_state(second_id, "rolled_back");
  EXPECT_EQ(text(undone.at("rollback_commit")), rollback_commit);
  EXPECT_EQ(text(undone.at("reason")), "rolled back by deployment " + std::to_string(rollback_id) +
                                           " before Flux reported on it");
  EXPECT_EQ(yaml_as_read(gitops("show main:overlays/dev/kustomization.yaml")),
            yaml_as_read(gitops("show " + text(first.at("gitops_commit")) +
                                ":overlays/dev/kustomization.yaml")));
  EXPECT_EQ(gitops("rev-list --count main"), "4\n");  // init, first, second, the rollback

  // Flux's word on the second's commit comes late: it changes nothing, nothing is rolled back
  // again.
  ASSERT_EQ(post_flux(signed_flux_event("HealthCheckFailed", "error", "main@sha1:" + second_commit,
                                        "app-dev", "flux-system", "Health check failed")),
            202);
  ASSERT_TRUE(all_flux_events_weighed()) << d.log();
  EXPECT_EQ(flux_outcomes("stale"), 1);
  EXPECT_EQ(text(deployment(second_id).at("state")), "rolled_back");
  EXPECT_EQ(gitops("rev-list --count main"), "4\n");
  ASSERT_EQ(post_flux(signed_flux_event("ReconciliationSucceeded", "info",
                                        "main@sha1:" + rollback_commit)),
            202);
  wait_state(rollback_id, "success");
  auto dev = environment("dev");
  EXPECT_EQ(text(dev.at("state")), "active") << json::serialize(dev);
  EXPECT_EQ(dev.at("current").at("deployment").as_int64(), rollback_id);

  // A third deployment held in its GitOps write (its push at the remote's hook): a rollback
  // now would undo what is being written, and is refused saying so.
  HeldHook hook(gitops_repository(), "post-receive");
  const auto run = push_version("3");
  ASSERT_TRUE(hook.wait_reached(300s)) << d.log();
  auto seen = json::parse(d.api("/api/v1/runs/" + std::to_string(run)).body).as_object();
  const auto third_id = seen.at("deployment").at("id").as_int64();
  EXPECT_EQ(text(seen.at("deployment").at("state")), "running");
  auto refused = d.api_post("/api/v1/projects/app/environments/dev/rollback");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("deployment " + std::to_string(third_id) + " changes dev after"),
            std::string::npos)
      << refused.body;
  hook.release();
  wait_state(third_id, "deploying");
  EXPECT_EQ(gitops("rev-list --count main"), "5\n");
}

// The GitOps remote refuses the push (a pre-receive hook, as a protected branch does): the
// deployment fails with the remote's words at once — it is not a push that lost a race, so
// it is not tried again — and the environments view shows dev unchanged, running what it ran,
// with the failure as its last rollout.
TEST_F(RolloutCrashTest, AGitOpsPushTheRemoteRefusesFailsOnceAndLeavesTheEnvironmentAsItWas) {
  ASSERT_TRUE(d.start()) << d.log();
  auto first = push("1", "deploying");
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(post_flux(signed_flux_event("ReconciliationSucceeded", "info",
                                        "main@sha1:" + text(first.at("gitops_commit")))),
            202);
  wait_state(first.at("id").as_int64(), "success");

  const auto hook = gitops_repository() / "hooks" / "pre-receive";
  std::ofstream(hook) << "#!/bin/sh\necho 'main is frozen for the release' >&2\nexit 1\n";
  std::filesystem::permissions(hook, std::filesystem::perms::owner_all);
  auto refused = push("2", "failed");
  ASSERT_FALSE(refused.empty());
  const std::string reason = text(refused.at("reason"));
  EXPECT_NE(reason.find("pre-receive hook declined"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("others kept pushing"), std::string::npos) << reason;
  EXPECT_TRUE(refused.at("gitops_commit").is_null());
  EXPECT_EQ(gitops("rev-list --count main"), "2\n");

  const auto dev = environment("dev");
  EXPECT_EQ(text(dev.at("state")), "active") << json::serialize(dev);
  EXPECT_EQ(dev.at("current").at("deployment"), first.at("id")) << json::serialize(dev);
  EXPECT_EQ(text(dev.at("current").at("tag")), text(first.at("tag")));
  EXPECT_EQ(text(dev.at("current").at("gitops_commit")), text(first.at("gitops_commit")));
  EXPECT_EQ(dev.at("last_rollout").at("deployment"), refused.at("id")) << json::serialize(dev);
  EXPECT_EQ(text(dev.at("last_rollout").at("state")), "failed");
  EXPECT_EQ(text(dev.at("last_rollout").at("reason")), reason);
  EXPECT_TRUE(dev.at("in_flight").is_null()) << json::serialize(dev);

  // One refused attempt, counted as failed: `rejected` is for pushes that lost a race.
  const auto metrics = d.request("GET", "/metrics").body;
  for (const auto& [series, value] : std::vector<std::pair<std::string, std::string>>{
           {"juanie_gitops_pushes_total{result=\"pushed\"}", "1"},
           {"juanie_gitops_pushes_total{result=\"rejected\"}", "0"},
           {"juanie_gitops_pushes_total{result=\"failed\"}", "1"}}) {
    EXPECT_NE(metrics.find("\n" + series + " " + value + "\n"), std::string::npos)
        << series << " " << value << "\n"
        << metrics;
  }
}

}  // namespace
}  // namespace juanie::test
