#include "daemon/config/loader.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace juanie::daemon::config {
namespace {

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir.write("juanie.yaml", "data_dir: data\nprojects_dir: projects.d\nsecrets_dir: secrets\n");
    dir.write("secrets/app.hook", "s3cr3t-ci-daemon\n");
    dir.write("projects.d/app.yaml",
              "name: app\nrepo: {url: https://x/app.git, forge: github, webhook_secret: app.hook}\n"
              "branches: [{match: develop, environment: dev}]\n");
  }
  test::TempDir dir;
};

TEST_F(LoaderTest, LoadsProjectsWithTheirSecretsTrimmed) {
  auto c = load_configuration(dir / "juanie.yaml", std::nullopt);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->projects.size(), 1u);
  EXPECT_EQ(c->projects.at("app")->webhook_secret, "s3cr3t-ci-daemon");
  EXPECT_EQ(c->daemon.data_dir, dir.path() / "data");
}

TEST_F(LoaderTest, AMissingSecretFileNamesTheFieldThatAskedForIt) {
  std::filesystem::remove(dir / "secrets/app.hook");
  auto c = load_configuration(dir / "juanie.yaml", std::nullopt);
  ASSERT_FALSE(c);
  const std::string expected = (dir / "projects.d/app.yaml").string() +
                               ":2: repo.webhook_secret: cannot read secret file " +
                               (dir / "secrets/app.hook").string();
  EXPECT_EQ(c.error().message.rfind(expected, 0), 0u) << c.error().message;
}

TEST_F(LoaderTest, AnEmptySecretIsRefused) {
  dir.write("secrets/app.hook", "\n");
  auto c = load_configuration(dir / "juanie.yaml", std::nullopt);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("is empty"), std::string::npos);
}

TEST_F(LoaderTest, DuplicateProjectNamesAreRefused) {
  dir.write("projects.d/copy.yml", test::read_file(dir / "projects.d/app.yaml"));
  auto c = load_configuration(dir / "juanie.yaml", std::nullopt);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("project \"app\" is already defined in"), std::string::npos)
      << c.error().message;
}

TEST_F(LoaderTest, OtherFilesInProjectsDirAreSkipped) {
  dir.write("projects.d/README.md", "not yaml: [");
  dir.write("projects.d/app.yaml.bak", "not yaml: [");
  EXPECT_TRUE(load_configuration(dir / "juanie.yaml", std::nullopt));
}

TEST_F(LoaderTest, AMissingProjectsDirIsAnError) {
  dir.write("juanie.yaml", "data_dir: data\nprojects_dir: nowhere\nsecrets_dir: secrets\n");
  auto c = load_configuration(dir / "juanie.yaml", std::nullopt);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("projects_dir: cannot list"), std::string::npos);
}

TEST_F(LoaderTest, AMissingDaemonFile) {
  auto c = load_configuration(dir / "nope.yaml", std::nullopt);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace juanie::daemon::config

namespace juanie::daemon::config {
namespace {

TEST_F(LoaderTest, AGateWithoutASigningKeyRefusesToStart) {
  dir.write("projects.d/app.yaml",
            "name: app\nrepo: {url: https://x/app.git, forge: github, webhook_secret: app.hook}\n"
            "environments: {prod: {approvers: [alice]}}\napprovers: {alice: {email: a@x}}\n");
  auto c = load_configuration(dir / "juanie.yaml", std::nullopt);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, (dir / "projects.d/app.yaml").string() +
                                   ": environments.prod requires approval, but " +
                                   (dir / "juanie.yaml").string() +
                                   " has no approvals.signing_key to sign the approvers' links");
  dir.write("juanie.yaml",
            "data_dir: data\nprojects_dir: projects.d\nsecrets_dir: secrets\n"
            "approvals: {signing_key: approval.key}\n");
  dir.write("secrets/approval.key", "0123456789abcdef0123456789abcdef\n");
  EXPECT_TRUE(load_configuration(dir / "juanie.yaml", std::nullopt));
}

TEST_F(LoaderTest, ASinkSecretFileMustExist) {
  dir.write("projects.d/app.yaml",
            "name: app\nrepo: {url: https://x/app.git, forge: github, webhook_secret: app.hook}\n"
            "branches: [{match: develop, environment: dev}]\n"
            "notifications: [{type: slack, url: slack.url}]\n");
  auto c = load_configuration(dir / "juanie.yaml", std::nullopt);
  ASSERT_FALSE(c);
  EXPECT_NE(
      c.error().message.find("projects.d/app.yaml: notifications[0].url: cannot read secret file"),
      std::string::npos)
      << c.error().message;
}

}  // namespace
}  // namespace juanie::daemon::config
