#pragma once

// The application and GitOps repositories of a deployment test: a real registry on loopback,
// an app repository whose develop branch builds an image, and a GitOps repository whose dev
// overlay names it — project `app`, the real daemon running pipelines.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "integration/daemon_fixture.hpp"
#include "support/busybox_image.hpp"
#include "support/pushed_repository.hpp"
#include "support/registry.hpp"

namespace juanie::test {

inline const char* kOverlay =
    "# dev overlay: juanie writes the tag below\n"
    "apiVersion: kustomize.config.k8s.io/v1beta1\n"
    "kind: Kustomization\n"
    "namespace: dev\n"
    "resources:\n  - ../../base\n"
    "images:\n";

// A YAML document as Flux reads it: structure and scalar values, not quoting or comments. The
// editor keeps the replaced value's quotes, so a restored tag can come back quoted where the
// tag it replaced needed quotes (about one short hash in 100, e.g. 1234e567).
inline std::string yaml_as_read(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + "'";
    case YAML::NodeType::Sequence: {
      std::string out = "[";
      for (const auto& item : n) out += yaml_as_read(item) + ",";
      return out + "]";
    }
    case YAML::NodeType::Map: {
      std::string out = "{";
      for (const auto& kv : n) out += yaml_as_read(kv.first) + ":" + yaml_as_read(kv.second) + ",";
      return out + "}";
    }
    default:
      return "~";
  }
}

inline std::string yaml_as_read(const std::string& yaml) {
  return yaml_as_read(YAML::Load(yaml));
}

class DeployTest : public ::testing::Test {
 protected:
  DeployTest() : d("", true), registry(d.home() / "registry") {}

  std::string git(const std::string& args) {
    int status = 0;
    auto out = sh("git " + args, &status);
    EXPECT_EQ(status, 0) << "git " << args << "\n" << out;
    return out;
  }

  void SetUp() override {
    image = registry.host() + "/acme/app";
    const auto base = ensure_busybox_image();
    // The application repository.
    app = std::make_unique<PushedRepository>(d.home(), "app", "develop");
    sha = app->commit(
        {{".juanie.yml",
          "steps:\n  - {name: test, commands: [\"test -f VERSION\"]}\n"
          "image: {dockerfile: Dockerfile, context: .}\n"},
         {"Dockerfile",
          "FROM " + base + "\nWORKDIR /app\nRUN echo built > built\nCOPY VERSION /VERSION\n"},
         {"VERSION", "1\n"}},
        "app");
    // The GitOps repository: the overlay names the image with an old tag.
    PushedRepository(d.home(), "gitops", "main")
        .commit({{"overlays/dev/kustomization.yaml",
                  std::string(kOverlay) + "  - name: " + image + "  # the app\n    newTag: old\n"},
                 {"base/kustomization.yaml", "resources: []\n"}},
                "init", "Ops <ops@example.com>");

    d.home().write("secrets/app.webhook", kGithubSecret);
    d.home().write("projects.d/app.yaml",
                   "name: app\nrepo: {url: " + (d.home() / "app.git").string() +
                       ", forge: github, webhook_secret: app.webhook}\n"
                       "image: " +
                       image +
                       "\nregistry: {tls_verify: false}\n"
                       "gitops:\n  url: " +
                       (d.home() / "gitops.git").string() +
                       "\n  branch: main\n  author: {name: Juanie CI, email: ci@example.com}\n"
                       "branches: [{match: develop, environment: dev}]\n");
  }

  boost::json::object wait_deployment(std::int64_t run, const std::string& state) {
    return d.wait_deployment(run, state);
  }

  Daemon d;
  Registry registry;
  std::unique_ptr<PushedRepository> app;
  std::string image, sha;
};

}  // namespace juanie::test
