#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/notification_sink.hpp"
#include "daemon/support/crypto.hpp"
#include "pipelines/error.hpp"

namespace juanie::daemon::config {

struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

struct TlsFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
};

struct Limits {
  int concurrent_runs = 2;
  int runs_per_project = 0;  // 0: as many as concurrent_runs
  // How many times a run may be started before an interruption (a crash, kill -9, OOM of the
  // daemon) ends it `failed` instead of queueing it again: a run that kills the daemon must
  // not do so forever.
  int run_attempts = 3;
  // What one run's checkout may write: libgit2 holds each file whole in the daemon's memory.
  std::uint64_t checkout_file_max = 512ULL << 20;
  std::uint64_t checkout_max = 8ULL << 30;
  std::chrono::milliseconds step_timeout = std::chrono::minutes(30);
  std::uint64_t log_max = 10ULL << 20;
  std::uint64_t body_max = 25ULL << 20;
  int max_connections = 512;
  int connections_per_ip = 64;  // open connections from one client address
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds body_timeout = std::chrono::seconds(60);
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(10);
  // How long a failed run's workspace is kept for `retry ?from=failed`; every other run's
  // workspace is deleted when it ends.
  std::chrono::milliseconds workspace_ttl = std::chrono::hours(24);
  // Below this much free space in data_dir new runs wait (webhooks are still stored) and
  // /readyz answers 503 saying why. 0: no floor.
  std::uint64_t min_free_disk = 1ULL << 30;
  // How long a deployment waits for Flux's verdict on its commit (projects with Flux
  // feedback) before it is failed as "no word from Flux".
  std::chrono::milliseconds rollout_timeout = std::chrono::minutes(10);
};

// How long a finished run's traces are kept; 0: forever. Runs a deployment names are kept
// whatever their age (the environment's history needs them), and so is the audit log.
struct Retention {
  // Step logs (data_dir/logs/<run>); the run record stays and says when they went.
  std::chrono::milliseconds logs = std::chrono::days(30);
  // Run records with their steps, deliveries and logs, and delivered notifications.
  std::chrono::milliseconds runs = std::chrono::days(365);
};

struct Approvals {
  // Files in secrets_dir; the first signs new links, all verify (key rotation).
  std::vector<std::string> signing_keys;
  std::chrono::milliseconds link_ttl = std::chrono::hours(24);
};

struct ApiToken {
  std::string name;
  Digest sha256{};
  // Whom the token belongs to (an approver's name): what it triggers counts as theirs.
  std::string person;
};

// Where steps run. bwrap needs nothing more; podman and docker run each step in a container
// of its image (or default_image).
struct Sandbox {
  std::string backend = "bwrap";  // bwrap | podman | docker
  std::string engine;             // the engine's program; default: the backend's name
  std::string runtime;            // OCI runtime (runc where crun cannot run); default: engine's
  // Per step, every backend: a cgroup of the step's own (bwrap) or the container's; swap
  // included. 0: unlimited. bwrap refuses to start without a memory cgroup to enforce it.
  std::uint64_t memory = 4ULL << 30;
  std::uint64_t tmpfs_size = 1ULL << 30;  // each tmpfs of a step (/tmp; bwrap: /run, /var too)
  std::string default_image;              // podman | docker: for steps without `image`
  std::map<std::string, std::filesystem::path> root_filesystems;  // bwrap: image → root dir
};

// Where the secrets the configuration names are: files of a directory (secrets_dir), or
// systemd credentials. LoadCredential=ID:DIR hands a unit each file of DIR as the credential
// ID_FILE in $CREDENTIALS_DIRECTORY, so the name a file has there is `prefix` + its own.
struct SecretsDir {
  std::filesystem::path dir;
  std::string prefix;  // "ID_" for secrets_credential: ID; empty otherwise

  SecretsDir() = default;
  // Implicit: a plain directory of secret files is the common case.
  SecretsDir(std::filesystem::path directory, std::string name_prefix = {})
      : dir(std::move(directory)), prefix(std::move(name_prefix)) {}
  // The file that holds the secret the configuration calls `name`.
  std::filesystem::path file(const std::string& name) const { return dir / (prefix + name); }
  bool operator==(const SecretsDir&) const = default;
};

// Where runs, deliveries, deployments and the rest are kept: a SQLite file in data_dir (one
// build node), or a PostgreSQL database several nodes share (one queue, one history).
struct Store {
  enum class Backend { kSqlite, kPostgresql };
  Backend backend = Backend::kSqlite;
  // postgresql: a file in secrets_dir holding the libpq connection URI (TLS options and all).
  std::string url_file;
};

// This build node among those sharing a PostgreSQL store. Its capacity is
// limits.concurrent_runs; limits.runs_per_project holds across all of them.
struct Node {
  std::string name;                 // default: the host's name
  std::vector<std::string> labels;  // a run's runs_on must be among them for it to claim it
};

struct Cluster {
  // A node that has not renewed a run's lease for this long is taken for dead: another node
  // puts the run back in the queue (counting the attempt against limits.run_attempts).
  std::chrono::milliseconds lease_ttl = std::chrono::seconds(60);
  // A node not heard from for this long is retired: dropped from the nodes (GET
  // /api/v1/nodes), and its labels no longer keep a run asking for them waiting.
  std::chrono::milliseconds node_retention = std::chrono::hours(24 * 7);
};

struct DaemonConfig {
  std::filesystem::path source;
  ListenAddress listen;
  std::optional<TlsFiles> tls;
  std::string public_url;
  std::filesystem::path data_dir;
  std::filesystem::path projects_dir;
  SecretsDir secrets_dir;
  Sandbox sandbox;
  // What a run found `running` at start becomes: queued again, or failed with the reason.
  bool requeue_interrupted = true;
  int http_threads = 2;
  Limits limits;
  Retention retention;
  Approvals approvals;
  std::vector<ApiToken> api_tokens;
  std::vector<NotificationSink> notifications;
  Store store;
  Node node;
  Cluster cluster;
};

// Relative paths are taken from the directory of `file`. `credentials_directory` is the value
// of $CREDENTIALS_DIRECTORY: the default for secrets_dir, and where secrets_credential looks.
Result<DaemonConfig> parse_daemon_config(std::string_view text, const std::filesystem::path& file,
                                         std::optional<std::string> credentials_directory);

}  // namespace juanie::daemon::config
