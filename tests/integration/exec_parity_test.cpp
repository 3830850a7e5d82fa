// `juanie exec --config --project --secrets` runs what the daemon runs: one commit, run by the
// real daemon (a signed push) and by exec from the same checkout; steps, variables, secret
// masking, limits and outcome compared.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "integration/daemon_fixture.hpp"
#include "support/pushed_repository.hpp"
#include "support/shell.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Lines of `text` that set a JUANIE_ variable (as `env` prints them), but JUANIE_RUN: exec has
// no run record, so its JUANIE_RUN is 0.
std::set<std::string> variables(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("JUANIE_") && !line.starts_with("JUANIE_RUN=")) out.insert(line);
  }
  return out;
}

constexpr const char* kSecret = "s3cret-value-42";

TEST(ExecParity, OneCommitRunByTheDaemonAndByExecRunsTheSame) {
  Daemon d("limits:\n  step_timeout: 2s\n", true);
  // topic/* maps to staging only by this project's rules (the defaults map it nowhere), so
  // environment, variables and secrets all depend on exec reading them.
  d.home().write("secrets/app.webhook", kGithubSecret);
  d.home().write("secrets/app.token", std::string(kSecret) + "\n");
  PushedRepository app(d.home(), "app", "topic/x");
  d.home().write("projects.d/app.yaml",
                 "name: app\nrepo: {url: " + app.bare() +
                     ", forge: github, webhook_secret: app.webhook}\n"
                     "branches: [{match: \"topic/*\", environment: staging}]\n"
                     "secrets: {APP_TOKEN: app.token}\n");
  const std::string sha =
      app.commit({{".juanie.yml",
                   "steps:\n"
                   "  - name: vars\n    secrets: [APP_TOKEN]\n"
                   "    commands: [\"env | grep ^JUANIE_ | sort\", \"echo token=$APP_TOKEN\"]\n"
                   "  - name: topic-only\n    commands: [\"echo on $JUANIE_BRANCH\"]\n    when: "
                   "{branch: [\"topic/*\"]}\n"
                   "  - name: main-only\n    commands: [\"false\"]\n    when: {branch: [main]}\n"
                   "  - name: slow\n    commands: [\"sleep 20\"]\n"}},
                 "parity");
  ASSERT_TRUE(d.start()) << d.log();

  const std::string body = push_body("refs/heads/topic/x", sha);
  auto pushed = d.request("POST", "/hooks/github/app", body, github_headers(body, "parity-1"));
  ASSERT_EQ(pushed.status, 202) << pushed.body;
  const auto run = json::parse(pushed.body).at("run").as_int64();
  json::object done;
  for (auto until = std::chrono::steady_clock::now() + 90s;
       std::chrono::steady_clock::now() < until;) {
    done = json::parse(d.api("/api/v1/runs/" + std::to_string(run)).body).as_object();
    const std::string state(done.at("state").as_string());
    if (state != "queued" && state != "running") break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(done.at("state").as_string(), "failed") << json::serialize(done) << d.log();
  const std::string daemon_log = d.api("/api/v1/runs/" + std::to_string(run) + "/log").body;

  d.home().write("exec.secrets",
                 "# what the secret files hold\nAPP_TOKEN=" + std::string(kSecret) + "\n");
  const auto [code, out] =
      sh_with_status(std::string(JUANIE_BINARY) + " exec " + app.work() +
                     " --branch topic/x --config " + (d.home() / "juanie.yaml").string() +
                     " --project app --secrets " + (d.home() / "exec.secrets").string());
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("environment staging"), std::string::npos) << out;

  // Steps and outcomes: exec's ✓/✗/- lines against the daemon's records.
  std::map<std::string, std::string> daemon_steps;
  for (const auto& s : done.at("steps").as_array()) {
    daemon_steps[std::string(s.at("name").as_string())] =
        std::string(s.at("state").as_string()) +
        (s.at("state").as_string() == "failed" ? ": " + std::string(s.at("reason").as_string())
                                               : "");
  }
  EXPECT_EQ(daemon_steps.size(), 4u);
  for (const auto& [name, state] : daemon_steps) {
    if (state == "succeeded") {
      EXPECT_NE(out.find("✓ " + name + " ("), std::string::npos) << name << "\n" << out;
    } else if (state == "skipped") {
      EXPECT_NE(out.find("- " + name + " skipped"), std::string::npos) << name << "\n" << out;
    } else {
      EXPECT_NE(out.find("✗ " + name + " " + state + " ("), std::string::npos)
          << name << " " << state << "\n"
          << out;
    }
  }
  EXPECT_EQ(daemon_steps["slow"].find("failed: "), 0u)
      << daemon_steps["slow"];  // the 2 s step_timeout
  EXPECT_EQ(daemon_steps["main-only"], "skipped");
  EXPECT_EQ(daemon_steps["topic-only"], "succeeded");

  // The same variables, and the secret given and masked in both.
  const auto daemon_vars = variables(daemon_log), exec_vars = variables(out);
  // project, ref, branch, sha, environment, event, and the pull request's five (empty here)
  EXPECT_EQ(daemon_vars.size(), 10u) << daemon_log;
  EXPECT_TRUE(daemon_vars.contains("JUANIE_EVENT=push")) << daemon_log;
  EXPECT_EQ(daemon_vars, exec_vars) << daemon_log << "\n---\n" << out;
  EXPECT_TRUE(daemon_vars.contains("JUANIE_ENVIRONMENT=staging")) << daemon_log;
  for (const auto* text : {&daemon_log, &out}) {
    EXPECT_NE(text->find("token=***"), std::string::npos) << *text;
    EXPECT_EQ(text->find(kSecret), std::string::npos) << *text;
  }

  // Without the project, exec falls back to the default rules: topic/x deploys nowhere, so
  // (as the daemon would) the step asking for a secret fails — the difference the flags make.
  const auto [plain_code, plain] =
      sh_with_status(std::string(JUANIE_BINARY) + " exec " + app.work() +
                     " --branch topic/x --secrets " + (d.home() / "exec.secrets").string());
  EXPECT_EQ(plain_code, 1) << plain;
  EXPECT_NE(plain.find("environment none"), std::string::npos) << plain;
  EXPECT_NE(plain.find("its steps get no secrets"), std::string::npos) << plain;
  EXPECT_NE(plain.find("✗ vars failed: secret APP_TOKEN is withheld"), std::string::npos) << plain;

  // A bad secrets file or an unknown project is refused before anything runs.
  d.home().write("bad.secrets", "APP_TOKEN=x\nnot a pair\n");
  const auto [bad_code, bad] = sh_with_status(std::string(JUANIE_BINARY) + " exec " + app.work() +
                                              " --secrets " + (d.home() / "bad.secrets").string());
  EXPECT_EQ(bad_code, 1) << bad;
  EXPECT_NE(bad.find("bad.secrets:2: expected NAME=VALUE"), std::string::npos) << bad;
  const auto [none_code, none] =
      sh_with_status(std::string(JUANIE_BINARY) + " exec " + app.work() + " --config " +
                     (d.home() / "juanie.yaml").string() + " --project nope");
  EXPECT_EQ(none_code, 1) << none;
  EXPECT_NE(none.find("no project nope"), std::string::npos) << none;
}

}  // namespace
}  // namespace juanie::test
