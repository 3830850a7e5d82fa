// `juanie project init` through the real binary: every overlay and the Flux objects build with
// the real kubectl (Kustomize v5); the files go into an empty bare repository; the project file
// passes juanie validate; the daemon's writer can then deploy into the result.
#include <gtest/gtest.h>

#include "runner/git_checkout.hpp"
#include "runner/gitops_writer.hpp"
#include "support/busybox_image.hpp"
#include "support/temp_dir.hpp"

namespace juanie::test {
namespace {

std::string init_command(const TempDir& dir, const std::string& target) {
  return std::string(JUANIE_BINARY) +
         " project init shop-api --image registry.example.com/acme/shop-api --gitops-url " +
         (dir / "gitops.git").string() + " --hooks-url https://ci.example.com/ " + target;
}

TEST(ProjectInit, EveryOverlayAndTheFluxObjectsBuildWithKubectl) {
  TempDir dir;
  int status = 0;
  auto out = sh(
      init_command(dir, "--out " + (dir / "ops").string() + " --projects-dir " +
                            (dir / "projects.d").string() + " --app-dir " + (dir / "app").string()),
      &status);
  ASSERT_EQ(status, 0) << out;
  for (const std::string env : {"dev", "staging", "prod"}) {
    auto built = sh("kubectl kustomize " + (dir / "ops/overlays" / env).string(), &status);
    ASSERT_EQ(status, 0) << env << ": " << built;
    EXPECT_NE(built.find("kind: Namespace\nmetadata:\n  name: " + env), std::string::npos) << built;
    EXPECT_NE(built.find("image: registry.example.com/acme/shop-api:latest"), std::string::npos);
  }
  auto prod = sh("kubectl kustomize " + (dir / "ops/overlays/prod").string(), &status);
  EXPECT_NE(prod.find("replicas: 3"), std::string::npos) << prod;
  auto flux = sh("kubectl kustomize " + (dir / "ops/flux").string(), &status);
  ASSERT_EQ(status, 0) << flux;
  EXPECT_NE(flux.find("kind: GitRepository"), std::string::npos);
  EXPECT_NE(flux.find("type: generic-hmac"), std::string::npos);
  EXPECT_NE(flux.find("address: https://ci.example.com/hooks/flux/shop-api"), std::string::npos);

  // The project file and the starter pipeline pass validation.
  auto valid =
      sh(std::string(JUANIE_BINARY) + " validate " + (dir / "projects.d/shop-api.yaml").string() +
             " " + (dir / "app/.juanie.yml").string(),
         &status);
  EXPECT_EQ(status, 0) << valid;
  // Nothing is overwritten.
  out = sh(init_command(dir, "--out " + (dir / "ops").string()), &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("is not empty: nothing was written"), std::string::npos) << out;
}

TEST(ProjectInit, FillsAnEmptyRemoteOnceAndTheWriterDeploysIntoIt) {
  TempDir dir;
  int status = 0;
  sh("git init -q --bare -b main " + (dir / "gitops.git").string(), &status);
  ASSERT_EQ(status, 0);
  auto out = sh(init_command(dir, "--push"), &status);
  ASSERT_EQ(status, 0) << out;
  const std::string git = "git -C " + (dir / "gitops.git").string() + " ";
  auto listed = sh(git + "ls-tree -r --name-only main", &status);
  EXPECT_NE(listed.find("overlays/prod/kustomization.yaml"), std::string::npos) << listed;
  EXPECT_NE(listed.find("flux/notification.yaml"), std::string::npos) << listed;

  out = sh(init_command(dir, "--push"), &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("is not empty (it has refs/heads/main)"), std::string::npos) << out;
  EXPECT_EQ(sh(git + "rev-list --count main"), "1\n");

  runner::GitLibrary library;
  runner::GitOpsWriter writer(dir / "clones");
  runner::GitOpsChange change;
  change.path = "overlays/staging/kustomization.yaml";
  change.image = {"registry.example.com/acme/shop-api", "newTag", "abc1234"};
  change.message = "deploy";
  auto deployed = writer.apply({(dir / "gitops.git").string(), "main", {}}, change);
  ASSERT_TRUE(deployed) << deployed.error().message;
  EXPECT_EQ(sh(git + "diff --stat main~1 main | tail -1"),
            " 1 file changed, 1 insertion(+), 1 deletion(-)\n");
}

}  // namespace
}  // namespace juanie::test
