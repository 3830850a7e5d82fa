// The monitoring assets (config/monitoring) and the metrics they rest on: promtool checks the
// alert rules and runs their unit tests, lints a real scrape of a daemon that has done work,
// and every metric the rules, the dashboard and the README name is one the daemon exports.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <thread>

#include "integration/daemon_fixture.hpp"
#include "support/busybox_image.hpp"
#include "support/pushed_repository.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kMonitoring = JUANIE_MONITORING;

std::string quoted(const fs::path& p) {
  return "'" + p.string() + "'";
}

TEST(MonitoringRules, PromtoolChecksTheRulesAndTheirTestsPass) {
  int status = 0;
  auto out = sh("promtool check rules " + quoted(kMonitoring / "juanie.rules.yml"), &status);
  EXPECT_EQ(status, 0) << out;
  // promtool resolves rule_files relative to the test file's directory.
  out = sh("cd " + quoted(kMonitoring) + " && promtool test rules juanie.rules.test.yml", &status);
  EXPECT_EQ(status, 0) << out;
}

// Metric names (juanie_*) an expression or a document mentions.
std::set<std::string> juanie_names(const std::string& text) {
  static const std::regex kName(R"(\bjuanie_[a-z0-9_]*[a-z0-9])");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

// The families of a scrape: name → type, from its # TYPE lines.
std::map<std::string, std::string> families(const std::string& scrape) {
  static const std::regex kType(R"(# TYPE (\S+) (\S+))");
  std::map<std::string, std::string> out;
  for (auto it = std::sregex_iterator(scrape.begin(), scrape.end(), kType);
       it != std::sregex_iterator(); ++it) {
    out[(*it)[1].str()] = (*it)[2].str();
  }
  return out;
}

// A name as a series of the scrape has it: a family, or a histogram's _bucket/_sum/_count.
bool exported(const std::map<std::string, std::string>& fams, const std::string& name) {
  if (fams.contains(name)) return true;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s(suffix);
    if (name.ends_with(s)) {
      auto it = fams.find(name.substr(0, name.size() - s.size()));
      if (it != fams.end() && it->second == "histogram") return true;
    }
  }
  return false;
}

class BusyDaemonMetrics : public ::testing::Test {
 protected:
  BusyDaemonMetrics() : d("", true), app(d.home(), "app", "develop") {}

  std::string commit(const std::string& pipeline) {
    return app.commit({{".juanie.yml", pipeline}, {"VERSION", std::to_string(++commits_) + "\n"}},
                      "change");
  }

  std::int64_t push(const std::string& sha) {
    const std::string body = push_body("refs/heads/develop", sha);
    auto r = d.request("POST", "/hooks/github/app", body,
                       github_headers(body, "metrics-" + std::to_string(++deliveries_)));
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? json::parse(r.body).at("run").as_int64() : 0;
  }

  void SetUp() override {
    d.home().write("secrets/app.webhook", kGithubSecret);
    d.home().write("projects.d/app.yaml",
                   "name: app\nrepo: {url: " + (d.home() / "app.git").string() +
                       ", forge: github, webhook_secret: app.webhook}\n"
                       "branches: [{match: develop, environment: dev}]\n");
    ASSERT_TRUE(d.start()) << d.log();
    // Work of every kind the metrics count: runs that succeed and fail, a duplicate
    // delivery, a forged one, API and readiness requests.
    d.wait_run(push(commit("steps:\n  - name: ok\n    commands: [\"true\"]\n")), "succeeded");
    d.wait_run(push(commit("steps:\n  - name: bad\n    commands: [\"false\"]\n")), "failed");
    const std::string body = push_body("refs/heads/develop", sha_for(7));
    auto forged = github_headers(body, "forged", "push", "not-the-secret");
    EXPECT_EQ(d.request("POST", "/hooks/github/app", body, forged).status, 401);
    d.request("GET", "/readyz");
    d.api("/api/v1/runs");
    auto r = d.request("GET", "/metrics");
    ASSERT_EQ(r.status, 200);
    scrape = r.body;
  }

  Daemon d;
  PushedRepository app;
  std::string scrape;
  int commits_ = 0;
  int deliveries_ = 0;
};

TEST_F(BusyDaemonMetrics, PromtoolFindsNoLintProblemInTheScrape) {
  const auto file = d.home().write("scrape.txt", scrape);
  int status = 0;
  const auto out = sh("promtool check metrics < " + quoted(file), &status);
  EXPECT_EQ(status, 0) << out << "\n" << scrape;
  EXPECT_EQ(out, "") << scrape;
  EXPECT_NE(scrape.find("juanie_runs{state=\"failed\"} 1"), std::string::npos) << scrape;
  EXPECT_NE(scrape.find("juanie_runs{state=\"succeeded\"} 1"), std::string::npos) << scrape;
}

// The values an operator reads after one run that passed and one that failed: both waited in
// the queue and ended, each with its one step; nothing was cancelled, pushed or waits.
TEST_F(BusyDaemonMetrics, DurationsAndWaitsCountTheRunsAndStepsThatHappened) {
  auto value = [&](const std::string& series) {
    const auto at = scrape.find("\n" + series + " ");
    if (at == std::string::npos) return std::string("no ") + series;
    const auto from = at + 1 + series.size() + 1;
    return scrape.substr(from, scrape.find('\n', from) - from);
  };
  EXPECT_EQ(value("juanie_queue_wait_seconds_count"), "2") << scrape;
  EXPECT_EQ(value("juanie_run_duration_seconds_count{result=\"succeeded\"}"), "1") << scrape;
  EXPECT_EQ(value("juanie_run_duration_seconds_count{result=\"failed\"}"), "1") << scrape;
  EXPECT_EQ(value("juanie_run_duration_seconds_count{result=\"cancelled\"}"), "0") << scrape;
  EXPECT_EQ(value("juanie_run_duration_seconds_bucket{result=\"succeeded\",le=\"+Inf\"}"), "1");
  EXPECT_EQ(value("juanie_step_duration_seconds_count{result=\"succeeded\"}"), "1") << scrape;
  EXPECT_EQ(value("juanie_step_duration_seconds_count{result=\"failed\"}"), "1") << scrape;
  EXPECT_EQ(value("juanie_step_duration_seconds_count{result=\"cancelled\"}"), "0") << scrape;
  for (const char* result : {"pushed", "rejected", "failed"}) {
    EXPECT_EQ(value("juanie_gitops_pushes_total{result=\"" + std::string(result) + "\"}"), "0");
  }
  EXPECT_EQ(value("juanie_approvals_pending"), "0");
  EXPECT_EQ(value("juanie_approval_oldest_age_seconds"), "0");
  EXPECT_EQ(value("juanie_outbox_oldest_age_seconds"), "0");
  EXPECT_EQ(
      value("juanie_build_info{compiler=\"" JUANIE_COMPILER "\",version=\"" JUANIE_VERSION "\"}"),
      "1")
      << scrape;
}

TEST_F(BusyDaemonMetrics, RulesDashboardAndReadmeNameOnlyExportedMetrics) {
  const auto fams = families(scrape);
  ASSERT_FALSE(fams.empty()) << scrape;

  const auto rules = juanie_names(read_file(kMonitoring / "juanie.rules.yml"));
  EXPECT_FALSE(rules.empty());
  for (const auto& name : rules) EXPECT_TRUE(exported(fams, name)) << "rules: " << name;

  // The dashboard parses as JSON, and each panel's expressions name exported metrics only.
  const auto dashboard = json::parse(read_file(kMonitoring / "juanie-dashboard.json"));
  int exprs = 0;
  for (const auto& panel : dashboard.at("panels").as_array()) {
    for (const auto& target : panel.at("targets").as_array()) {
      const std::string expr(target.at("expr").as_string());
      ++exprs;
      for (const auto& name : juanie_names(expr)) {
        EXPECT_TRUE(exported(fams, name))
            << "dashboard panel " << panel.at("title").as_string() << ": " << name;
      }
    }
  }
  EXPECT_GT(exprs, 0);

  // The README's catalogue lists each family the daemon exports, and nothing it does not.
  const std::string readme = read_file(fs::path(JUANIE_SOURCE_DIR) / "README.md");
  const auto begin = readme.find("<!-- metrics-catalogue -->");
  const auto end = readme.find("<!-- /metrics-catalogue -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const std::string catalogue = readme.substr(begin, end - begin);
  for (const auto& [name, type] : fams) {
    EXPECT_NE(catalogue.find("`" + name + "` | " + type), std::string::npos)
        << "README catalogue lacks " << name << " (" << type << ")";
  }
  for (const auto& name : juanie_names(catalogue)) {
    EXPECT_TRUE(exported(fams, name)) << "README catalogue: " << name;
  }
}

}  // namespace
}  // namespace juanie::test
