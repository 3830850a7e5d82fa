#include "pipelines/gitops_skeleton.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "pipelines/kustomize_edit.hpp"

namespace juanie::pipelines {
namespace {

std::map<std::string, std::vector<YAML::Node>> generated() {
  SkeletonSpec spec;
  spec.project = "shop-api";
  spec.image = "registry.example.com/acme/shop-api";
  spec.gitops_url = "ssh://git@git.example.com/acme/shop-gitops.git";
  spec.hooks_url = "https://ci.example.com";
  std::map<std::string, std::vector<YAML::Node>> out;
  for (const auto& f : gitops_skeleton(spec)) out[f.path] = YAML::LoadAll(f.text);
  return out;
}

TEST(GitOpsSkeleton, OverlaysFollowThePlatformTable) {
  auto files = generated();
  const std::map<std::string, std::tuple<int, std::string, std::string>> table{
      {"dev", {1, "100m", "256Mi"}},
      {"staging", {2, "250m", "512Mi"}},
      {"prod", {3, "500m", "1Gi"}}};
  for (const auto& [env, expected] : table) {
    const auto& k = files.at("overlays/" + env + "/kustomization.yaml").at(0);
    EXPECT_EQ(k["namespace"].as<std::string>(), env);
    EXPECT_EQ(k["replicas"][0]["name"].as<std::string>(), "shop-api");
    EXPECT_EQ(k["replicas"][0]["count"].as<int>(), std::get<0>(expected));
    EXPECT_EQ(k["images"][0]["name"].as<std::string>(), "registry.example.com/acme/shop-api");
    const auto value = YAML::Load(k["patches"][0]["patch"].as<std::string>())[0]["value"];
    EXPECT_EQ(value["requests"]["cpu"].as<std::string>(), std::get<1>(expected)) << env;
    EXPECT_EQ(value["limits"]["memory"].as<std::string>(), std::get<2>(expected)) << env;
    EXPECT_EQ(
        files.at("overlays/" + env + "/namespace.yaml")[0]["metadata"]["name"].as<std::string>(),
        env);
  }
}

TEST(GitOpsSkeleton, FluxObjectsCarryTheirFields) {
  auto files = generated();
  const auto& repo = files.at("flux/gitrepository.yaml")[0];
  EXPECT_EQ(repo["kind"].as<std::string>(), "GitRepository");
  EXPECT_EQ(repo["spec"]["url"].as<std::string>(),
            "ssh://git@git.example.com/acme/shop-gitops.git");
  EXPECT_EQ(repo["spec"]["ref"]["branch"].as<std::string>(), "main");
  EXPECT_EQ(repo["spec"]["interval"].as<std::string>(), "1m");
  for (const std::string env : {"dev", "staging", "prod"}) {
    const auto& k = files.at("flux/kustomization-" + env + ".yaml")[0];
    EXPECT_EQ(k["kind"].as<std::string>(), "Kustomization");
    EXPECT_EQ(k["spec"]["path"].as<std::string>(), "./overlays/" + env);
    EXPECT_EQ(k["spec"]["interval"].as<std::string>(), "1m");
    EXPECT_TRUE(k["spec"]["prune"].as<bool>());
    EXPECT_TRUE(k["spec"]["wait"].as<bool>());
    EXPECT_EQ(k["spec"]["timeout"].as<std::string>(), "5m");
    EXPECT_EQ(k["spec"]["sourceRef"]["name"].as<std::string>(), "shop-api-gitops");
  }
  const auto& notification = files.at("flux/notification.yaml");
  ASSERT_EQ(notification.size(), 2u);
  EXPECT_EQ(notification[0]["kind"].as<std::string>(), "Provider");
  EXPECT_EQ(notification[0]["spec"]["type"].as<std::string>(), "generic-hmac");
  EXPECT_EQ(notification[0]["spec"]["address"].as<std::string>(),
            "https://ci.example.com/hooks/flux/shop-api");
  EXPECT_EQ(notification[1]["kind"].as<std::string>(), "Alert");
  EXPECT_EQ(notification[1]["spec"]["eventSources"].size(), 3u);
  EXPECT_EQ(notification[1]["spec"]["eventSources"][2]["name"].as<std::string>(), "shop-api-prod");
}

// The daemon's writer can edit what project init wrote, changing one line.
TEST(GitOpsSkeleton, TheGeneratedOverlayTakesATag) {
  SkeletonSpec spec;
  spec.project = "a";
  spec.image = "registry.example.com/a";
  for (const auto& f : gitops_skeleton(spec)) {
    if (f.path != "overlays/dev/kustomization.yaml") continue;
    auto edited = set_image(f.text, {"registry.example.com/a", "newTag", "abc1234"});
    ASSERT_TRUE(edited) << edited.error().message;
    EXPECT_TRUE(edited->changed);
    EXPECT_EQ(edited->text.size(), f.text.size() - std::string("latest").size() + 7);
  }
}

}  // namespace
}  // namespace juanie::pipelines
