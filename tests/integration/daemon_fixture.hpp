#pragma once

#include <sys/types.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/http/client.hpp"
#include "support/temp_dir.hpp"

namespace juanie::test {

inline constexpr const char* kApiToken = "integration-api-token";
inline constexpr const char* kGithubSecret = "github-webhook-secret";
inline constexpr const char* kGitlabSecret = "gitlab-webhook-secret";
inline constexpr const char* kGitlabSigningToken =
    "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
inline constexpr const char* kGiteaSecret = "gitea-webhook-secret";
inline constexpr const char* kApprovalKey = "integration-approval-signing-key-0123456789abcdef";

// The real `juanie` binary in a temporary home, driven only through its public surface:
// files, signals and HTTP on 127.0.0.1. Projects: shop-api (github), billing (gitlab token),
// ledger (gitlab signing token), wiki (gitea).
class Daemon {
 public:
  // Extra lines for juanie.yaml (limits and the like). Unless `run_pipelines`, the daemon
  // only queues runs (limits.concurrent_runs: 0), which is what intake tests look at.
  explicit Daemon(std::string extra_config = "", bool run_pipelines = false);
  ~Daemon();

  // Starts and waits until it listens; false (with the log in the failure) if it exits.
  bool start();
  // Sends `signal` and waits for the exit; returns the exit status (or 128+signal).
  int stop(int signal = 15);
  void kill9();
  void signal(int signal);
  bool running() const { return pid_ > 0; }

  // Added to the daemon's environment at the next start.
  void set_env(const std::string& name, const std::string& value);
  // Sets `name` to the daemon's own pid at the next start (as systemd sets WATCHDOG_PID).
  void set_env_to_pid(const std::string& name) { pid_env_ = name; }
  // Lists another API token at the next start; returns a file holding it (for --token-file).
  std::string add_api_token(const std::string& name, const std::string& token,
                            const std::string& person = "");
  // Serve https with this certificate; requests then trust it as their CA.
  void use_tls(const std::string& cert_file, const std::string& key_file);

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const TempDir& home() const { return home_; }
  std::string log() const;
  // Polls the log of this start until it holds `text` (up to 60 s).
  bool wait_for_log(const std::string& text) const;

  daemon::http::ClientResponse request(
      const std::string& method, const std::string& path, const std::string& body = "",
      std::vector<std::pair<std::string, std::string>> headers = {});
  daemon::http::ClientResponse api(const std::string& path);
  // Polls GET /api/v1/runs/{run} until its deployment is in `state` (up to 120 s): the
  // deployment, or an empty object and a test failure showing the run as last seen.
  boost::json::object wait_deployment(std::int64_t run, const std::string& state);
  // Polls GET /api/v1/runs/{run} until it is in `state` (up to `limit`): the run, or — when it
  // ended in another state or never got there — the run as last seen and a test failure.
  boost::json::object wait_run(std::int64_t run, const std::string& state,
                               std::chrono::seconds limit = std::chrono::seconds(120));
  // POSTs to the API with the bearer token.
  daemon::http::ClientResponse api_post(const std::string& path, const std::string& body = "");

 private:
  TempDir home_;
  std::vector<std::string> env_;
  std::string ca_file_;
  std::string pid_env_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
};

// Forge requests signed as each forge signs them.
std::vector<std::pair<std::string, std::string>> github_headers(
    const std::string& body, const std::string& delivery, const std::string& event = "push",
    const std::string& secret = kGithubSecret);
std::vector<std::pair<std::string, std::string>> gitlab_token_headers(
    const std::string& delivery, const std::string& event = "Push Hook");
std::vector<std::pair<std::string, std::string>> gitlab_signed_headers(const std::string& body,
                                                                       const std::string& delivery,
                                                                       long long timestamp);
std::vector<std::pair<std::string, std::string>> gitea_headers(
    const std::string& body, const std::string& delivery, const std::string& event = "push",
    const std::string& event_type = "push");

std::string push_body(const std::string& ref, const std::string& after,
                      const std::string& before = "1111111111111111111111111111111111111111");
std::string sha_for(int n);
std::string fixture(const std::string& name);

// Runs an SQL count against the daemon's real database file.
long long count_rows(const std::string& db_file, const std::string& sql);

}  // namespace juanie::test
