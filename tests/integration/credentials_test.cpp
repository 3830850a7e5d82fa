// Secrets as systemd credentials: the unit's LoadCredential=juanie-secrets:/etc/juanie/secrets
// hands the daemon each file of the directory as $CREDENTIALS_DIRECTORY/juanie-secrets_FILE,
// and `secrets_credential: juanie-secrets` reads them there. The real daemon, with the
// directory laid out as systemd lays it out (files 0400 in a 0500 directory) and no
// secrets_dir left on disk.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "integration/daemon_fixture.hpp"

namespace juanie::test {
namespace {

namespace fs = std::filesystem;

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The fixture's juanie.yaml names secrets_dir: secrets; this one says credentials instead,
    // and the secrets directory goes: nothing can be read from it.
    std::string config = read_file(d.home() / "juanie.yaml");
    const std::string dir_line = "secrets_dir: secrets\n";
    const auto at = config.find(dir_line);
    ASSERT_NE(at, std::string::npos) << config;
    config.replace(at, dir_line.size(), "secrets_credential: juanie-secrets\n");
    d.home().write("juanie.yaml", config);
    credentials = d.home() / "credentials";
    fs::create_directories(credentials);
    for (const auto& entry : fs::directory_iterator(d.home() / "secrets")) {
      const fs::path to = credentials / ("juanie-secrets_" + entry.path().filename().string());
      fs::copy_file(entry.path(), to);
      fs::permissions(to, fs::perms::owner_read);
    }
    fs::remove_all(d.home() / "secrets");
  }

  void TearDown() override {
    // The directory is 0500 as systemd makes it; the temporary home must be able to go.
    std::error_code ec;
    fs::permissions(credentials, fs::perms::owner_all, ec);
  }

  void seal() { fs::permissions(credentials, fs::perms::owner_read | fs::perms::owner_exec); }

  Daemon d;
  fs::path credentials;
};

TEST_F(CredentialsTest, AWebhookIsVerifiedWithTheSecretSystemdLoaded) {
  seal();
  d.set_env("CREDENTIALS_DIRECTORY", credentials.string());
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = push_body("refs/heads/develop", sha_for(1));
  auto signed_push =
      d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "credential-1"));
  EXPECT_EQ(signed_push.status, 202) << signed_push.body << "\n" << d.log();
  auto forged = d.request("POST", "/hooks/github/shop-api", body,
                          github_headers(body, "credential-2", "push", "not-the-secret"));
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_EQ(count_rows((d.home() / "data" / "juanie.db").string(), "SELECT count(*) FROM runs"), 1);
  // The secrets are not in the log.
  EXPECT_EQ(d.log().find(kGithubSecret), std::string::npos) << d.log();
}

// Asked for credentials without any (started by hand, or from a unit without LoadCredential=):
// the daemon refuses to start and says which key asked and what would provide them.
TEST_F(CredentialsTest, WithoutCredentialsDirectoryTheDaemonRefusesToStartNamingTheKey) {
  ::unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_FALSE(d.start());
  const std::string config = (d.home() / "juanie.yaml").string();
  EXPECT_NE(d.log().find(config + ":4: secrets_credential: $CREDENTIALS_DIRECTORY is not set: "
                                  "systemd sets it for a unit with "
                                  "LoadCredential=juanie-secrets:/etc/juanie/secrets"),
            std::string::npos)
      << d.log();
  EXPECT_FALSE(fs::exists(d.home() / "data" / "juanie.db")) << "nothing is made before that";
}

// A secret the directory did not hold (a file added after the unit started): the error names
// the credential the daemon looked for, so the operator sees the ID_FILE naming.
TEST_F(CredentialsTest, AMissingCredentialIsAStartupErrorNamingTheFileLookedFor) {
  fs::remove(credentials / "juanie-secrets_wiki.webhook");
  seal();
  d.set_env("CREDENTIALS_DIRECTORY", credentials.string());
  EXPECT_FALSE(d.start());
  EXPECT_NE(d.log().find("webhook_secret: cannot read secret file " +
                         (credentials / "juanie-secrets_wiki.webhook").string()),
            std::string::npos)
      << d.log();
}

}  // namespace
}  // namespace juanie::test
