// The GitOps writers of several build nodes sharing a real PostgreSQL take turns on a branch
// (store::pg::hold_branch through SharedBranchLock): real bare repositories, real pushes.
#include "daemon/deploy/shared_branch_lock.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "daemon/store/pg_branch_lock.hpp"
#include "daemon/store/pg_fixture.hpp"
#include "runner/git_checkout.hpp"
#include "runner/gitops_writer.hpp"
#include "support/shell.hpp"
#include "support/temp_dir.hpp"

namespace juanie::daemon {
namespace {

std::string overlay(const std::string& env) {
  return "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: " + env +
         "\nresources: [../../base]\nimages:\n  - name: registry.example.com/acme/app\n"
         "    newTag: initial\n";
}

class SharedBranchLockTest : public test::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    url_file_ = home_.write("pg.url", uri_ + "\n");
    bare_ = (home_ / "gitops.git").string();
    const std::string work = (home_ / "work").string();
    for (const char* env : {"dev", "staging", "prod"}) {
      home_.write("work/overlays/" + std::string(env) + "/kustomization.yaml", overlay(env));
    }
    git("init -q --bare -b main " + bare_);
    git("-C " + work + " init -q -b main");
    git("-C " + work + " add -A");
    git("-C " + work + " -c user.email=ops@example.com -c user.name=Ops commit -qm init");
    git("-C " + work + " push -q " + bare_ + " main main:release");
  }

  std::string git(const std::string& args) {
    int status = 0;
    auto out = test::sh("git " + args, &status);
    EXPECT_EQ(status, 0) << "git " << args << "\n" << out;
    return out;
  }

  static runner::GitOpsChange change(const std::string& env, const std::string& tag) {
    runner::GitOpsChange c;
    c.path = "overlays/" + env + "/kustomization.yaml";
    c.image = {"registry.example.com/acme/app", "newTag", tag};
    c.message = "deploy app " + tag + " to " + env;
    return c;
  }

  runner::GitLibrary library_;
  test::TempDir home_;
  std::filesystem::path url_file_;
  std::string bare_;
};

// Each writer may push once per change: a push rejected because another node pushed first
// would fail the change. With the lock none is, and every change is in the history once.
TEST_F(SharedBranchLockTest, ThreeNodesCommittingToOneBranchTakeTurnsAndLoseNothing) {
  const std::vector<std::string> envs{"dev", "staging", "prod"};
  constexpr int kChanges = 8;
  std::vector<std::vector<Result<runner::GitOpsOutcome>>> results(3);
  std::vector<std::thread> nodes;
  for (int n = 0; n < 3; ++n) {
    nodes.emplace_back([&, n] {
      const SharedBranchLock lock(url_file_, std::chrono::seconds(60));
      const runner::GitOpsWriter writer(
          home_ / ("node-" + std::to_string(n)),
          {1, std::chrono::milliseconds(1), std::chrono::milliseconds(1)}, nullptr, nullptr, {},
          &lock);
      for (int i = 0; i < kChanges; ++i) {
        results[n].push_back(
            writer.apply({bare_, "main", {}}, change(envs[n], "t" + std::to_string(i))));
      }
    });
  }
  for (auto& t : nodes) t.join();
  const auto subjects = git("-C " + bare_ + " log --format=%s main");
  for (int n = 0; n < 3; ++n) {
    for (int i = 0; i < kChanges; ++i) {
      const auto& r = results[n][i];
      ASSERT_TRUE(r) << envs[n] << " t" << i << ": " << r.error().message;
      EXPECT_TRUE(r->committed);
      EXPECT_EQ(r->attempts, 1);
      const std::string subject = "deploy app t" + std::to_string(i) + " to " + envs[n] + "\n";
      EXPECT_NE(subjects.find(subject), std::string::npos) << subject;
    }
    EXPECT_NE(git("-C " + bare_ + " show main:overlays/" + envs[n] + "/kustomization.yaml")
                  .find("newTag: t" + std::to_string(kChanges - 1)),
              std::string::npos);
  }
  EXPECT_EQ(git("-C " + bare_ + " rev-list --count main"), std::to_string(1 + 3 * kChanges) + "\n");
}

TEST_F(SharedBranchLockTest, AChangeThatWaitsPastItsLimitIsAClearErrorAndPushesNothing) {
  auto other_node = store::pg::hold_branch(url_file_, bare_, "main", std::chrono::seconds(5));
  ASSERT_TRUE(other_node) << other_node.error().message;
  const SharedBranchLock lock(url_file_, std::chrono::milliseconds(300));
  const runner::GitOpsWriter writer(home_ / "node", {}, nullptr, nullptr, {}, &lock);
  const auto tip = git("-C " + bare_ + " rev-parse main");

  auto waited = writer.apply({bare_, "main", {}}, change("dev", "blocked"));
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(waited.error().message,
            "another build node has been writing branch main of the GitOps repository for over "
            "300 ms; try again later");
  EXPECT_EQ(git("-C " + bare_ + " rev-parse main"), tip);
  // Another branch of the same repository is not held.
  auto release = writer.apply({bare_, "release", {}}, change("dev", "free"));
  ASSERT_TRUE(release) << release.error().message;
  EXPECT_TRUE(release->committed);

  other_node->reset();  // the other node's change is done
  auto after = writer.apply({bare_, "main", {}}, change("dev", "after"));
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_TRUE(after->committed);
}

TEST_F(SharedBranchLockTest, AnUnreachableStoreIsAnErrorAndNotAPush) {
  home_.write("pg.url", "postgresql://127.0.0.1:1/none?connect_timeout=2\n");
  const SharedBranchLock lock(url_file_, std::chrono::seconds(1));
  const runner::GitOpsWriter writer(home_ / "node", {}, nullptr, nullptr, {}, &lock);
  const auto tip = git("-C " + bare_ + " rev-parse main");
  auto outcome = writer.apply({bare_, "main", {}}, change("dev", "lost"));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().message.find("postgresql://"), std::string::npos)
      << "the store's URI stays out of errors: " << outcome.error().message;
  EXPECT_EQ(git("-C " + bare_ + " rev-parse main"), tip);
}

}  // namespace
}  // namespace juanie::daemon
