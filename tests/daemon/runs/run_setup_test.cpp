#include "daemon/runs/run_setup.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon {
namespace {

store::RunRecord pull_request_run(const std::string& source_branch, bool fork) {
  store::RunRecord r;
  r.pull_request = store::PullRequestFields{7, "title", source_branch, "main", fork, "a/b"};
  return r;
}

// Secrets follow the push rule: a pull request from the project's own repository gets them
// only when a push of its source branch would; a fork's run is let through to
// withhold_from_forks, which leaves only what is opened to forks.
TEST(SecretsReach, APullRequestGetsWhatAPushOfItsBranchWould) {
  config::ProjectConfig project;
  project.rules = pipelines::default_rules();  // feature/*, develop, release/*, main
  store::RunRecord push;
  EXPECT_FALSE(secrets_reach(project, push)) << "an unmapped push";
  push.environment = "dev";
  EXPECT_TRUE(secrets_reach(project, push));
  EXPECT_TRUE(secrets_reach(project, pull_request_run("feature/login", false)));
  EXPECT_FALSE(secrets_reach(project, pull_request_run("experiment", false)))
      << "a pusher must not get by a pull request what a push of the branch would not";
  EXPECT_TRUE(secrets_reach(project, pull_request_run("experiment", true)))
      << "a fork's run is filtered by withhold_from_forks instead";
  runner::PipelineRunOptions options;
  project.secrets["APP_TOKEN"] = config::SecretRef{"app.token", "app.yaml:3"};
  withhold_from_forks(project, pull_request_run("develop", true), options);
  EXPECT_EQ(options.withheld_secrets.at("APP_TOKEN"), "is withheld from pull requests from forks")
      << "a fork's branch name, chosen by its author, earns nothing";
}

}  // namespace
}  // namespace juanie::daemon
