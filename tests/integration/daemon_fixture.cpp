#include "integration/daemon_fixture.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <thread>

#include "daemon/support/crypto.hpp"
#include "support/test_data.hpp"

extern char** environ;

namespace juanie::test {

using daemon::hex_encode;
using daemon::hmac_sha256;
using daemon::sha256;

Daemon::Daemon(std::string extra_config, bool run_pipelines) {
  if (!run_pipelines) {
    const auto at = extra_config.find("limits:\n");
    if (at == std::string::npos) {
      extra_config += "limits:\n  concurrent_runs: 0\n";
    } else {
      extra_config.insert(at + 8, "  concurrent_runs: 0\n");
    }
  }
  // Like /var/lib above a real data_dir: the sandbox user may pass through to its workspace.
  std::filesystem::permissions(home_.path(), std::filesystem::perms::owner_all |
                                                 std::filesystem::perms::group_exec |
                                                 std::filesystem::perms::others_exec);
  home_.write("juanie.yaml",
              "listen: 127.0.0.1:0\n"
              "data_dir: data\n"
              "projects_dir: projects.d\n"
              "secrets_dir: secrets\n"
              "http_threads: 2\n"
              "approvals: {signing_key: approval.key}\n"
              "api_tokens:\n"
              "  - name: tests\n"
              "    sha256: " +
                  hex_encode(sha256(kApiToken)) + "\n" + extra_config);
  home_.write("secrets/approval.key", std::string(kApprovalKey) + "\n");
  home_.write("secrets/shop-api.webhook", std::string(kGithubSecret) + "\n");
  home_.write("secrets/billing.webhook", kGitlabSecret);
  home_.write("secrets/ledger.webhook", kGitlabSigningToken);
  home_.write("secrets/wiki.webhook", kGiteaSecret);
  const std::string prod =
      "environments: {prod: {approvers: [alice]}}\napprovers: {alice: {email: a@x}}\n";
  home_.write("projects.d/shop-api.yaml",
              "name: shop-api\nrepo: {url: https://github.com/acme/shop-api.git, forge: github, "
              "webhook_secret: shop-api.webhook}\n" +
                  prod +
                  "branches:\n  - {match: \"feature/*\", environment: dev}\n  - {match: develop, "
                  "environment: dev}\n"
                  "  - {match: \"release/*\", environment: staging}\n  - {match: main, "
                  "environment: prod, trigger: manual}\n"
                  "  - {tag: \"v*\", environment: prod, trigger: manual}\n");
  home_.write(
      "projects.d/billing.yaml",
      "name: billing\nrepo: {url: https://gitlab.example.com/acme/billing.git, forge: gitlab, "
      "webhook_secret: billing.webhook}\n" +
          prod);
  home_.write(
      "projects.d/ledger.yaml",
      "name: ledger\nrepo: {url: https://gitlab.example.com/acme/ledger.git, forge: gitlab, "
      "webhook_secret: ledger.webhook}\n" +
          prod);
  home_.write("projects.d/wiki.yaml",
              "name: wiki\nrepo: {url: https://gitea.example.com/acme/wiki.git, forge: gitea, "
              "webhook_secret: wiki.webhook}\n" +
                  prod);
}

Daemon::~Daemon() {
  if (pid_ > 0) kill9();
}

std::string Daemon::log() const {
  return read_file(home_ / ("juanie-" + std::to_string(starts_) + ".log"));
}

bool Daemon::wait_for_log(const std::string& text) const {
  for (int i = 0; i < 1200; ++i) {
    if (log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool Daemon::start() {
  ++starts_;
  const std::string log_file = (home_ / ("juanie-" + std::to_string(starts_) + ".log")).string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const std::string config = (home_ / "juanie.yaml").string();
  const char* argv[] = {JUANIE_BINARY, "serve", "--config", config.c_str(), nullptr};
  // A shell that exports its own pid and then becomes the daemon: the pid is known only once
  // the process exists, and exec keeps it.
  const std::string export_pid = "export " + pid_env_ + "=$$; exec \"$0\" \"$@\"";
  const char* via_shell[] = {"/bin/sh", "-c",       export_pid.c_str(), JUANIE_BINARY,
                             "serve",   "--config", config.c_str(),     nullptr};
  const bool shell = !pid_env_.empty();
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  for (auto& e : env_) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int rc = posix_spawn(&pid_, shell ? "/bin/sh" : JUANIE_BINARY, &actions, nullptr,
                             const_cast<char**>(shell ? via_shell : argv), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot spawn " JUANIE_BINARY);
  const std::string marker =
      ca_file_.empty() ? "listening on http://127.0.0.1:" : "listening on https://127.0.0.1:";
  for (int i = 0; i < 300; ++i) {
    const std::string text = log();
    if (auto at = text.find(marker); at != std::string::npos) {
      port_ = std::atoi(text.c_str() + at + marker.size());
      return true;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int Daemon::stop(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void Daemon::kill9() {
  stop(SIGKILL);
}

void Daemon::set_env(const std::string& name, const std::string& value) {
  env_.push_back(name + "=" + value);
}

std::string Daemon::add_api_token(const std::string& name, const std::string& token,
                                  const std::string& person) {
  const std::string config = read_file(home_ / "juanie.yaml");
  const auto at = config.find("api_tokens:\n") + 12;
  home_.write("juanie.yaml", config.substr(0, at) + "  - {name: " + name +
                                 ", sha256: " + hex_encode(sha256(token)) +
                                 (person.empty() ? "" : ", person: " + person) + "}\n" +
                                 config.substr(at));
  return home_.write("tokens/" + name, token + "\n").string();
}

void Daemon::use_tls(const std::string& cert_file, const std::string& key_file) {
  home_.write("juanie.yaml", read_file(home_ / "juanie.yaml") + "tls:\n  cert: " + cert_file +
                                 "\n  key: " + key_file + "\n");
  ca_file_ = cert_file;
}

void Daemon::signal(int sig) {
  ::kill(pid_, sig);
}

daemon::http::ClientResponse Daemon::request(
    const std::string& method, const std::string& path, const std::string& body,
    std::vector<std::pair<std::string, std::string>> headers) {
  const std::string scheme = ca_file_.empty() ? "http" : "https";
  auto r =
      daemon::http::send({method, scheme + "://127.0.0.1:" + std::to_string(port_) + path,
                          std::move(headers), body, std::chrono::milliseconds(15000), ca_file_});
  if (!r) return {0, r.error().message};
  return *r;
}

daemon::http::ClientResponse Daemon::api(const std::string& path) {
  return request("GET", path, "", {{"Authorization", std::string("Bearer ") + kApiToken}});
}

boost::json::object Daemon::wait_deployment(std::int64_t run, const std::string& state) {
  namespace json = boost::json;
  json::object last;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = api("/api/v1/runs/" + std::to_string(run));
    if (r.status == 200) {
      last = json::parse(r.body).as_object();
      const auto& dep = last.at("deployment");
      if (dep.is_object() && dep.at("state").as_string() == state) return dep.as_object();
      if (last.at("state").as_string() == "failed") break;
      if (dep.is_object() && dep.at("state").as_string() == "failed") break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "run " << run << " never had a " << state
                << " deployment: " << json::serialize(last) << "\n"
                << log();
  return {};
}

boost::json::object Daemon::wait_run(std::int64_t run, const std::string& state,
                                     std::chrono::seconds limit) {
  namespace json = boost::json;
  json::object last;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = api("/api/v1/runs/" + std::to_string(run));
    if (r.status == 200) {
      last = json::parse(r.body).as_object();
      const std::string s(last.at("state").as_string());
      if (s == state) return last;
      if (s == "succeeded" || s == "failed" || s == "cancelled") break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "run " << run << " did not become " << state << ": " << json::serialize(last)
                << "\n"
                << log();
  return last;
}

daemon::http::ClientResponse Daemon::api_post(const std::string& path, const std::string& body) {
  return request("POST", path, body, {{"Authorization", std::string("Bearer ") + kApiToken}});
}

std::vector<std::pair<std::string, std::string>> github_headers(const std::string& body,
                                                                const std::string& delivery,
                                                                const std::string& event,
                                                                const std::string& secret) {
  return {{"Content-Type", "application/json"},
          {"User-Agent", "GitHub-Hookshot/044aadd"},
          {"X-GitHub-Event", event},
          {"X-GitHub-Delivery", delivery},
          {"X-GitHub-Hook-ID", "292430182"},
          {"X-Hub-Signature", "sha1=0000000000000000000000000000000000000000"},
          {"X-Hub-Signature-256", "sha256=" + hex_encode(hmac_sha256(secret, body))}};
}

std::vector<std::pair<std::string, std::string>> gitlab_token_headers(const std::string& delivery,
                                                                      const std::string& event) {
  return {{"Content-Type", "application/json"},
          {"User-Agent", "GitLab/17.5.0"},
          {"X-Gitlab-Event", event},
          {"X-Gitlab-Event-UUID", delivery},
          {"X-Gitlab-Instance", "https://gitlab.example.com"},
          {"X-Gitlab-Token", kGitlabSecret}};
}

std::vector<std::pair<std::string, std::string>> gitlab_signed_headers(const std::string& body,
                                                                       const std::string& delivery,
                                                                       long long timestamp) {
  const std::string key = *daemon::base64_decode(std::string(kGitlabSigningToken).substr(6));
  const std::string ts = std::to_string(timestamp);
  const auto mac = hmac_sha256(key, delivery + "." + ts + "." + body);
  const std::string sig(mac.begin(), mac.end());
  return {{"Content-Type", "application/json"},
          {"X-Gitlab-Event", "Push Hook"},
          {"X-Gitlab-Event-UUID", delivery},
          {"webhook-id", delivery},
          {"webhook-timestamp", ts},
          {"webhook-signature", "v1," + daemon::base64_encode(sig)}};
}

std::vector<std::pair<std::string, std::string>> gitea_headers(const std::string& body,
                                                               const std::string& delivery,
                                                               const std::string& event,
                                                               const std::string& event_type) {
  const std::string hex = hex_encode(hmac_sha256(kGiteaSecret, body));
  return {{"Content-Type", "application/json"},
          {"X-Gitea-Event", event},
          {"X-Gitea-Event-Type", event_type},
          {"X-Gitea-Delivery", delivery},
          {"X-Gitea-Signature", hex},
          {"X-Gogs-Signature", hex},
          {"X-Hub-Signature-256", "sha256=" + hex}};
}

std::string push_body(const std::string& ref, const std::string& after, const std::string& before) {
  return R"({"ref":")" + ref + R"(","before":")" + before + R"(","after":")" + after +
         R"(","created":false,"deleted":false,"pusher":{"name":"alice"},)"
         R"("repository":{"full_name":"acme/shop-api"},)"
         R"("head_commit":{"id":")" +
         after + R"(","message":"change","author":{"name":"Alice"}}})";
}

std::string sha_for(int n) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%040x", n + 0x10000);
  return buf;
}

std::string fixture(const std::string& name) {
  return test_data(name);
}

long long count_rows(const std::string& db_file, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return -1;
  }
  sqlite3_stmt* stmt = nullptr;
  long long n = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

}  // namespace juanie::test
