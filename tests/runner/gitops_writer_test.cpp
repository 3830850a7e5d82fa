// The GitOps writer against real repositories: bare repositories made with the git CLI, a
// git http-backend behind basic auth, other writers and a third party pushing in between.
#include "runner/gitops_writer.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "runner/git_checkout.hpp"
#include "support/busybox_image.hpp"
#include "support/git_servers.hpp"
#include "support/scripted_random.hpp"
#include "support/scripted_remote.hpp"
#include "support/temp_dir.hpp"

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;

const char* kDev =
    "# dev overlay\n"
    "apiVersion: kustomize.config.k8s.io/v1beta1\n"
    "kind: Kustomization\n"
    "namespace: dev\n"
    "resources: [../../base]\n"
    "images:\n"
    "  - name: registry.example.com/acme/shop-api  # the app\n"
    "    newTag: initial   # set by juanie\n";

class GitOpsWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bare = home / "gitops.git";
    work = home / "work";
    home.write("work/overlays/dev/kustomization.yaml", kDev);
    std::string staging = kDev;
    staging.replace(staging.find("namespace: dev"), 14, "namespace: staging");
    home.write("work/overlays/staging/kustomization.yaml", staging);
    home.write("work/base/kustomization.yaml", "resources: [deployment.yaml]\n");
    git("init -q --bare -b main " + bare.string());
    git("-C " + work.string() + " init -q -b main");
    git("-C " + work.string() + " add -A");
    git("-C " + work.string() + " -c user.email=ops@example.com -c user.name=Ops commit -qm init");
    git("-C " + work.string() + " push -q " + bare.string() + " main");
  }

  std::string git(const std::string& args) {
    int status = 0;
    auto out = test::sh("git " + args, &status);
    EXPECT_EQ(status, 0) << "git " << args << "\n" << out;
    return out;
  }

  GitOpsChange change(const std::string& env, const std::string& tag) {
    GitOpsChange c;
    c.path = "overlays/" + env + "/kustomization.yaml";
    c.image = {"registry.example.com/acme/shop-api", "newTag", tag};
    c.message = "deploy shop-api " + tag + " to " + env;
    c.author_name = "Juanie CI";
    c.author_email = "ci@example.com";
    return c;
  }

  test::TempDir home;
  GitLibrary library;
  fs::path bare, work;
};

TEST_F(GitOpsWriterTest, CommitsExactlyTheTagLine) {
  GitOpsWriter writer(home / "clones");
  auto outcome = writer.apply({bare.string(), "main", {}}, change("dev", "9f8e7d6"));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_TRUE(outcome->committed);
  EXPECT_EQ(outcome->attempts, 1);
  const std::string b = "-C " + bare.string() + " ";
  EXPECT_EQ(git(b + "rev-parse main"), outcome->commit + "\n");
  EXPECT_EQ(git(b + "diff --name-only main~1 main"), "overlays/dev/kustomization.yaml\n");
  const auto diff = git(b + "diff -U0 main~1 main");
  EXPECT_NE(diff.find("\n-    newTag: initial   # set by juanie\n+    newTag: 9f8e7d6   # set by "
                      "juanie\n"),
            std::string::npos)
      << diff;
  EXPECT_EQ(git(b + "log -1 --format=%an%n%ae%n%s main"),
            "Juanie CI\nci@example.com\ndeploy shop-api 9f8e7d6 to dev\n");
}

// The image is pinned: newTag for people, digest for the runtime, in one commit; the same
// change again commits nothing, and a new image changes both lines.
TEST_F(GitOpsWriterTest, PinsTheDigestBesideTheTag) {
  GitOpsWriter writer(home / "clones");
  auto pinned = change("dev", "9f8e7d6c5b4a");
  pinned.digest = "sha256:" + std::string(64, 'a');
  auto outcome = writer.apply({bare.string(), "main", {}}, pinned);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_TRUE(outcome->committed);
  const std::string b = "-C " + bare.string() + " ";
  const auto file = git(b + "show main:overlays/dev/kustomization.yaml");
  EXPECT_NE(
      file.find("  - name: registry.example.com/acme/shop-api  # the app\n    digest: sha256:" +
                std::string(64, 'a') + "\n    newTag: 9f8e7d6c5b4a   # set by juanie\n"),
      std::string::npos)
      << file;
  auto again = writer.apply({bare.string(), "main", {}}, pinned);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->committed);
  pinned.image.value = "0a1b2c3d4e5f";
  pinned.digest = "sha256:" + std::string(64, 'b');
  auto next = writer.apply({bare.string(), "main", {}}, pinned);
  ASSERT_TRUE(next) << next.error().message;
  const auto diff = git(b + "diff -U0 main~1 main");
  EXPECT_NE(diff.find("+    digest: sha256:" + std::string(64, 'b')), std::string::npos) << diff;
  EXPECT_NE(diff.find("+    newTag: 0a1b2c3d4e5f"), std::string::npos) << diff;
  EXPECT_EQ(git(b + "rev-list --count main"), "3\n");
}

TEST_F(GitOpsWriterTest, TheSameTagTwiceCommitsOnce) {
  GitOpsWriter writer(home / "clones");
  auto first = writer.apply({bare.string(), "main", {}}, change("dev", "9f8e7d6"));
  ASSERT_TRUE(first) << first.error().message;
  auto again = writer.apply({bare.string(), "main", {}}, change("dev", "9f8e7d6"));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->committed);
  EXPECT_EQ(again->commit, first->commit);
  EXPECT_EQ(git("-C " + bare.string() + " rev-list --count main"), "2\n");
}

TEST_F(GitOpsWriterTest, MissingFileOrBranchIsAClearError) {
  GitOpsWriter writer(home / "clones");
  auto no_file = writer.apply({bare.string(), "main", {}}, change("qa", "1"));
  ASSERT_FALSE(no_file);
  EXPECT_EQ(no_file.error().message,
            "overlays/qa/kustomization.yaml does not exist on main of " + bare.string());
  auto no_branch = writer.apply({bare.string(), "release", {}}, change("dev", "1"));
  ASSERT_FALSE(no_branch);
  EXPECT_EQ(no_branch.error().message, "branch release does not exist in " + bare.string());
}

TEST_F(GitOpsWriterTest, TheNextChangeStartsFromWhatOthersPushed) {
  test::GitHttpServer server(home.path(), "juanie", "gitops-token");
  const GitOpsRepository repository{
      server.url("gitops.git"), "main", {"juanie", "gitops-token", "", ""}};
  GitOpsWriter writer(home / "clones");
  auto first = writer.apply(repository, change("dev", "one"));
  ASSERT_TRUE(first) << first.error().message;
  const std::string w = "-C " + work.string() + " ";
  git(w + "pull -q --rebase " + bare.string() + " main");
  home.write("work/NOTES", "by hand\n");
  git(w + "add -A");
  git(w + "-c user.email=ops@example.com -c user.name=Ops commit -qm by-hand");
  git(w + "push -q " + bare.string() + " HEAD:main");
  auto second = writer.apply(repository, change("dev", "two"));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->attempts, 1);
  EXPECT_EQ(git("-C " + bare.string() + " log --format=%s main"),
            "deploy shop-api two to dev\nby-hand\ndeploy shop-api one to dev\ninit\n");
}

// Two daemons (separate clones, so no shared lock) deploying two environments of one
// repository while a third party keeps pushing: every commit lands once, none is lost. Over
// git's own http-backend, as a real host answers: libgit2's transport for plain paths does not
// compare-and-swap the branch, so a path URL is only safe with one writer.
TEST_F(GitOpsWriterTest, ConcurrentWritersAndAThirdPusherLoseNothing) {
  test::GitHttpServer server(home.path(), "juanie", "gitops-token");
  const GitOpsRepository repository{
      server.url("gitops.git"), "main", {"juanie", "gitops-token", "", ""}};
  std::atomic<bool> done{false};
  std::atomic<int> third_party{0};
  std::mutex pushed_mutex;
  std::condition_variable pushed;
  std::thread pusher([&] {
    const std::string w = "-C " + work.string() + " ";
    while (!done) {
      test::sh("git " + w + "pull -q --rebase " + bare.string() + " main");
      home.write("work/NOTES", std::to_string(third_party + 1) + "\n");
      test::sh("git " + w + "add -A && git " + w +
               "-c user.email=ops@example.com -c user.name=Ops commit -qm note-" +
               std::to_string(third_party + 1));
      int status = 0;
      test::sh("git " + w + "push -q " + bare.string() + " HEAD:main", &status);
      if (status == 0) {
        std::lock_guard lock(pushed_mutex);
        ++third_party;
        pushed.notify_all();
      } else {
        test::sh("git " + w + "reset -q --hard HEAD~1");
      }
      // A busy repository: someone else pushes every second or so. The pause is the behaviour
      // under test (a third party's pace), not a wait for something. At a push every 0.4 s, a
      // writer whose fetch-rebase-push over http-backend took longer on a loaded CI machine
      // lost 30 races in a row and gave up — the writer's limit doing its job, not a loss.
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });
  {
    std::unique_lock lock(pushed_mutex);
    ASSERT_TRUE(pushed.wait_for(lock, std::chrono::minutes(1), [&] { return third_party > 0; }))
        << "the third party never pushed";
  }
  const GitOpsRetry retry{30, std::chrono::milliseconds(20), std::chrono::milliseconds(200)};
  std::vector<std::thread> writers;
  std::vector<Result<GitOpsOutcome>> results(8, fail("not run"));
  for (int w = 0; w < 2; ++w) {
    // Writer w deploys tags w, w+2, w+4, w+6, one after the other, to its environment.
    writers.emplace_back([&, w] {
      GitOpsWriter writer(home / ("clones-" + std::to_string(w)), retry);
      for (int i = w; i < 8; i += 2) {
        results[i] =
            writer.apply(repository, change(w == 0 ? "dev" : "staging", "tag" + std::to_string(i)));
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  pusher.join();
  int retried = 0;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().message;
    EXPECT_TRUE(results[i]->committed);
    if (results[i]->attempts > 1) ++retried;
    // Each deployment's commit is in the history exactly once.
    const auto subjects = git("-C " + bare.string() + " log --format=%s main");
    const std::string subject = "deploy shop-api tag" + std::to_string(i) + " to " +
                                (i % 2 == 0 ? "dev" : "staging") + "\n";
    std::size_t count = 0;
    for (auto pos = subjects.find(subject); pos != std::string::npos;
         pos = subjects.find(subject, pos + 1)) {
      ++count;
    }
    EXPECT_EQ(count, 1u) << subject;
  }
  EXPECT_GT(third_party.load(), 0);
  EXPECT_EQ(git("-C " + bare.string() + " log --format=%s main | grep -c '^note-'"),
            std::to_string(third_party.load()) + "\n");
  // The last tag of each environment is what the files say.
  EXPECT_NE(git("-C " + bare.string() + " show main:overlays/dev/kustomization.yaml")
                .find("newTag: tag6   # set by juanie"),
            std::string::npos);
  EXPECT_NE(git("-C " + bare.string() + " show main:overlays/staging/kustomization.yaml")
                .find("newTag: tag7   # set by juanie"),
            std::string::npos);
  std::cout << "third-party pushes: " << third_party << ", juanie pushes retried after a "
            << "rejection: " << retried << " of 8\n";
}

TEST_F(GitOpsWriterTest, PushesOverHttpsWithAToken) {
  test::GitHttpServer server(home.path(), "juanie", "gitops-token");
  GitOpsWriter writer(home / "clones");
  auto refused = writer.apply({server.url("gitops.git"), "main", {"juanie", "wrong", "", ""}},
                              change("dev", "abc1234"));
  ASSERT_FALSE(refused);
  auto outcome =
      writer.apply({server.url("gitops.git"), "main", {"juanie", "gitops-token", "", ""}},
                   change("dev", "abc1234"));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(git("-C " + bare.string() + " rev-parse main"), outcome->commit + "\n");
}

// A push the remote refuses for its own reasons (a pre-receive hook, as a protected or frozen
// branch answers) did not lose a race: it fails at once with the remote's words, counted as
// failed, instead of being redone on a tip that did not move and reported as others pushing.
TEST_F(GitOpsWriterTest, APushTheRemoteRefusesFailsAtOnceWithItsReason) {
  test::GitHttpServer server(home.path(), "juanie", "gitops-token");
  const auto hook = bare / "hooks" / "pre-receive";
  home.write("gitops.git/hooks/pre-receive", "#!/bin/sh\necho 'main is frozen' >&2\nexit 1\n");
  fs::permissions(hook, fs::perms::owner_all);
  std::vector<GitOpsPush> attempts;
  GitOpsWriter writer(home / "clones",
                      {6, std::chrono::milliseconds(0), std::chrono::milliseconds(0)}, nullptr,
                      nullptr, [&](GitOpsPush p) { attempts.push_back(p); });
  const std::string before = git("-C " + bare.string() + " rev-parse main");
  auto outcome =
      writer.apply({server.url("gitops.git"), "main", {"juanie", "gitops-token", "", ""}},
                   change("dev", "frozen"));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().message, "the remote refused the push to main of " +
                                         server.url("gitops.git") + ": pre-receive hook declined");
  EXPECT_EQ(attempts, std::vector<GitOpsPush>{GitOpsPush::kFailed});
  EXPECT_EQ(git("-C " + bare.string() + " rev-parse main"), before);
  // Once the remote takes pushes again, the same writer's next change lands.
  fs::remove(hook);
  auto landed = writer.apply({server.url("gitops.git"), "main", {"juanie", "gitops-token", "", ""}},
                             change("dev", "thawed"));
  ASSERT_TRUE(landed) << landed.error().message;
  EXPECT_EQ(git("-C " + bare.string() + " log --format=%s main"),
            "deploy shop-api thawed to dev\ninit\n");
}

// A rejected push (someone else pushed first) is fetched again, the change made again on the
// new tip and pushed again: deterministic here, where the concurrent test above only hits it
// when the race happens to go that way.
TEST_F(GitOpsWriterTest, ARejectedPushIsRedoneOnTheNewTip) {
  test::ScriptedRemote remote;
  GitOpsWriter writer(home / "clones",
                      {6, std::chrono::milliseconds(0), std::chrono::milliseconds(0)}, &remote);
  GitOpsWriter other(home / "other-clones");
  int moved = 0;
  remote.reject_next(2, [&] {
    auto pushed = other.apply({bare.string(), "main", {}},
                              change("staging", "other" + std::to_string(++moved)));
    ASSERT_TRUE(pushed) << pushed.error().message;
  });
  auto outcome = writer.apply({bare.string(), "main", {}}, change("dev", "mine"));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_TRUE(outcome->committed);
  EXPECT_EQ(outcome->attempts, 3);
  EXPECT_EQ(remote.calls(), (std::vector<std::string>{"fetch", "push rejected", "fetch",
                                                      "push rejected", "fetch", "push"}));
  const std::string b = "-C " + bare.string() + " ";
  EXPECT_EQ(git(b + "rev-parse main"), outcome->commit + "\n");
  // On top of both of the other pusher's commits; nothing of theirs lost, ours changes one line.
  EXPECT_EQ(git(b + "log --format=%s main"),
            "deploy shop-api mine to dev\ndeploy shop-api other2 to staging\n"
            "deploy shop-api other1 to staging\ninit\n");
  EXPECT_EQ(git(b + "diff --name-only main~1 main"), "overlays/dev/kustomization.yaml\n");
  EXPECT_NE(git(b + "show main:overlays/staging/kustomization.yaml").find("newTag: other2"),
            std::string::npos);
}

TEST_F(GitOpsWriterTest, GivesUpAfterTheConfiguredNumberOfRejectedPushes) {
  test::ScriptedRemote remote;
  GitOpsWriter writer(home / "clones",
                      {3, std::chrono::milliseconds(0), std::chrono::milliseconds(0)}, &remote);
  const std::string before = git("-C " + bare.string() + " rev-parse main");
  remote.reject_next(3);
  auto outcome = writer.apply({bare.string(), "main", {}}, change("dev", "never"));
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find("gave up after 3 pushes to main of " + bare.string() +
                                         " were rejected"),
            std::string::npos)
      << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("rejected by the test"), std::string::npos);
  EXPECT_EQ(remote.calls(), (std::vector<std::string>{"fetch", "push rejected", "fetch",
                                                      "push rejected", "fetch", "push rejected"}));
  EXPECT_EQ(git("-C " + bare.string() + " rev-parse main"), before) << "the remote changed";

  // The next change, once the remote takes pushes again, goes through on the first attempt.
  auto later = writer.apply({bare.string(), "main", {}}, change("dev", "later"));
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_EQ(later->attempts, 1);
}

// What the daemon's juanie_gitops_pushes_total counts: each push attempt as it ends — two
// rejected then one pushed; a change already in place pushes nothing; giving up is only
// rejections; a remote that cannot be reached is a failure.
TEST_F(GitOpsWriterTest, TheObserverIsToldHowEachPushAttemptEnded) {
  test::ScriptedRemote remote;
  std::vector<std::string> told;
  GitOpsWriter writer(home / "clones",
                      {2, std::chrono::milliseconds(0), std::chrono::milliseconds(0)}, &remote,
                      nullptr, [&told](GitOpsPush push) { told.emplace_back(to_string(push)); });
  remote.reject_next(1);
  ASSERT_TRUE(writer.apply({bare.string(), "main", {}}, change("dev", "first")));
  EXPECT_EQ(told, (std::vector<std::string>{"rejected", "pushed"}));

  told.clear();
  ASSERT_TRUE(writer.apply({bare.string(), "main", {}}, change("dev", "first")));
  EXPECT_EQ(told, std::vector<std::string>{}) << "nothing to push is no push";

  remote.reject_next(2);
  ASSERT_FALSE(writer.apply({bare.string(), "main", {}}, change("dev", "never")));
  EXPECT_EQ(told, (std::vector<std::string>{"rejected", "rejected"}));

  told.clear();
  const std::string gone = (home / "gone.git").string();
  ASSERT_FALSE(writer.apply({gone, "main", {}}, change("dev", "lost")));
  EXPECT_EQ(told, std::vector<std::string>{"failed"});
}

// The pause after each rejected push doubles up to its cap, and its jitter comes from the random
// source (a fake here, so the test sees each pause the writer wanted): no chance involved.
TEST_F(GitOpsWriterTest, TheBackoffDoublesUpToItsCapWithJitterFromTheRandomSource) {
  test::ScriptedRemote remote;
  test::ScriptedRandom random;
  GitOpsWriter writer(home / "clones",
                      {6, std::chrono::milliseconds(1), std::chrono::milliseconds(3)}, &remote,
                      &random);
  remote.reject_next(4);
  auto outcome = writer.apply({bare.string(), "main", {}}, change("dev", "patient"));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->attempts, 5);
  // The jitter of each pause is drawn from 0 to the pause itself: 1, 2, then the cap of 3 ms.
  EXPECT_EQ(random.asked(), (std::vector<std::uint64_t>{1, 2, 3, 3}));
}

// Giving up: every attempt rejected, the error says so, and no pause follows the last attempt
// (it would only delay the failure).
TEST_F(GitOpsWriterTest, GivesUpWithoutPausingAfterTheLastRejection) {
  test::ScriptedRemote remote;
  test::ScriptedRandom random;
  GitOpsWriter writer(home / "clones",
                      {3, std::chrono::milliseconds(1), std::chrono::milliseconds(100)}, &remote,
                      &random);
  remote.reject_next(3);
  auto outcome = writer.apply({bare.string(), "main", {}}, change("dev", "never"));
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find("gave up after 3 pushes"), std::string::npos)
      << outcome.error().message;
  EXPECT_EQ(random.asked(), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(remote.calls(), (std::vector<std::string>{"fetch", "push rejected", "fetch",
                                                      "push rejected", "fetch", "push rejected"}));
}

}  // namespace
}  // namespace juanie::runner
