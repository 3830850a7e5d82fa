#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <string>

#include "integration/daemon_fixture.hpp"
#include "support/shell.hpp"

namespace juanie::test {

// A daemon that runs pipelines, one project `app` (github) whose repository is a real bare
// repository made with the git CLI in the daemon's home, and signed pushes to it.
class RunTest : public ::testing::Test {
 protected:
  explicit RunTest(const std::string& extra_config = "") : d(extra_config, true) {}

  // Commits `pipeline` (and a file) on `branch` of a bare repository; returns the commit.
  std::string commit(const std::string& pipeline, const std::string& branch = "develop") {
    const std::string work = (d.home() / "work").string();
    const std::string bare = (d.home() / "app.git").string();
    if (!std::filesystem::exists(bare)) {
      sh("git init -q --bare -b develop " + bare + " && git init -q -b develop " + work +
         " && git -C " + work + " remote add origin " + bare);
    }
    d.home().write("work/.juanie.yml", pipeline);
    d.home().write("work/VERSION", std::to_string(++commits_) + "\n");
    sh("git -C " + work + " checkout -q -B " + branch + " && git -C " + work +
       " add -A && git -C " + work +
       " -c user.email=dev@example.com -c user.name=Dev commit -qm change && git -C " + work +
       " push -q origin " + branch);
    std::string sha = sh("git -C " + work + " rev-parse HEAD");
    sha.pop_back();
    return sha;
  }

  void SetUp() override {
    d.home().write("secrets/app.webhook", kGithubSecret);
    d.home().write("secrets/app.token", "app-token-value-123");
    d.home().write("projects.d/app.yaml",
                   "name: app\nrepo: {url: " + (d.home() / "app.git").string() +
                       ", forge: github, webhook_secret: app.webhook}\n"
                       "branches: [{match: develop, environment: dev}]\n"
                       "secrets: {APP_TOKEN: app.token}\n");
  }

  std::int64_t push(const std::string& sha, const std::string& branch = "develop") {
    const std::string body = push_body("refs/heads/" + branch, sha);
    auto r = d.request("POST", "/hooks/github/app", body,
                       github_headers(body, "run-" + sha + "-" + std::to_string(++deliveries_)));
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? boost::json::parse(r.body).at("run").as_int64() : 0;
  }

  Daemon d;
  int commits_ = 0;
  int deliveries_ = 0;
};

}  // namespace juanie::test
