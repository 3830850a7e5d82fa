#include "daemon/config/daemon_config.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::config {
namespace {

using namespace std::chrono_literals;

const char* kFull = R"(# juanie.yaml — the daemon
listen: 127.0.0.1:8080
public_url: https://ci.example.com
data_dir: /var/lib/juanie
projects_dir: /etc/juanie/projects.d
secrets_dir: /etc/juanie/secrets
sandbox:
  backend: bwrap
limits:
  concurrent_runs: 2
  step_timeout: 30m
  log_max: 10MiB
  body_max: 25MiB
approvals:
  signing_key: approval.key
  link_ttl: 24h
api_tokens:
  - name: ops
    sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
    person: alice
notifications:
  - type: dingtalk
    url: dingtalk.url
    secret: dingtalk.secret
)";

Result<DaemonConfig> parse(const std::string& text,
                           std::optional<std::string> creds = std::nullopt) {
  return parse_daemon_config(text, "/etc/juanie/juanie.yaml", std::move(creds));
}

std::string error_of(const std::string& text) {
  auto r = parse(text);
  EXPECT_FALSE(r) << text;
  return r ? "" : r.error().message;
}

TEST(DaemonConfig, TheDocumentedExampleParses) {
  auto c = parse(kFull);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->listen.host, "127.0.0.1");
  EXPECT_EQ(c->listen.port, 8080);
  EXPECT_EQ(c->public_url, "https://ci.example.com");
  EXPECT_EQ(c->data_dir, "/var/lib/juanie");
  EXPECT_EQ(c->secrets_dir.dir, "/etc/juanie/secrets");
  EXPECT_EQ(c->secrets_dir.file("approval.key"), "/etc/juanie/secrets/approval.key");
  EXPECT_EQ(c->limits.step_timeout, 30min);
  EXPECT_EQ(c->limits.concurrent_runs, 2);
  EXPECT_EQ(c->limits.runs_per_project, 0);
  EXPECT_EQ(c->limits.log_max, 10u << 20);
  EXPECT_EQ(c->approvals.link_ttl, 24h);
  ASSERT_EQ(c->api_tokens.size(), 1u);
  EXPECT_EQ(c->api_tokens[0].name, "ops");
  EXPECT_EQ(c->api_tokens[0].person, "alice");
  EXPECT_EQ(hex_encode(c->api_tokens[0].sha256),
            "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
  ASSERT_EQ(c->notifications.size(), 1u);
  EXPECT_EQ(c->notifications[0].type, "dingtalk");
}

TEST(DaemonConfig, DefaultsAndRelativePaths) {
  auto c = parse("data_dir: data\nprojects_dir: projects.d\nsecrets_dir: ../secrets\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->data_dir, "/etc/juanie/data");
  EXPECT_EQ(c->secrets_dir.dir, "/etc/secrets");
  EXPECT_EQ(c->limits.body_max, 25u << 20);
  EXPECT_EQ(c->sandbox.backend, "bwrap");
  EXPECT_EQ(c->listen.port, 8080);
}

TEST(DaemonConfig, SecretsDirDefaultsToSystemdCredentials) {
  auto c = parse("data_dir: /d\nprojects_dir: /p\n", "/run/credentials/juanie.service");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->secrets_dir.file("app.webhook"), "/run/credentials/juanie.service/app.webhook");
  const std::string message = error_of("data_dir: /d\nprojects_dir: /p\n");
  EXPECT_NE(message.find("secrets_dir: is required when $CREDENTIALS_DIRECTORY"),
            std::string::npos);
}

// LoadCredential=juanie-secrets:/etc/juanie/secrets hands the unit each file of the directory
// as the credential juanie-secrets_FILE: secrets_credential says so, and a secret the
// configuration calls app.webhook is read from that name.
TEST(DaemonConfig, SecretsCredentialReadsADirectoryLoadedAsCredentials) {
  const std::string base = "data_dir: /d\nprojects_dir: /p\n";
  auto c = parse(base + "secrets_credential: juanie-secrets\n", "/run/credentials/juanie.service");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->secrets_dir.dir, "/run/credentials/juanie.service");
  EXPECT_EQ(c->secrets_dir.file("app.webhook"),
            "/run/credentials/juanie.service/juanie-secrets_app.webhook");

  // Outside systemd (or a unit without LoadCredential=) it is a start-up error naming the key.
  EXPECT_EQ(error_of(base + "secrets_credential: juanie-secrets\n"),
            "/etc/juanie/juanie.yaml:3: secrets_credential: $CREDENTIALS_DIRECTORY is not set: "
            "systemd sets it for a unit with LoadCredential=juanie-secrets:/etc/juanie/secrets "
            "(start juanie from its unit), or name secrets_dir instead");
  auto both = parse(base + "secrets_dir: /s\nsecrets_credential: juanie-secrets\n", "/run/c");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().message,
            "/etc/juanie/juanie.yaml:4: secrets_credential: name secrets_dir or "
            "secrets_credential, not both");
  auto bad = parse(base + "secrets_credential: a/b\n", "/run/c");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "/etc/juanie/juanie.yaml:3: secrets_credential: \"a/b\" must be the ID of the "
            "unit's LoadCredential=ID:DIRECTORY (no / or :)");
}

TEST(DaemonConfig, ErrorsNameFileLineAndField) {
  const std::string base = "data_dir: /d\nprojects_dir: /p\nsecrets_dir: /s\n";
  EXPECT_EQ(error_of(base + "limits:\n  body_max: lots\n"),
            "/etc/juanie/juanie.yaml:5: limits.body_max: \"lots\" is not a size (like 512KiB, "
            "10MiB, 1GiB)");
  EXPECT_EQ(error_of(base + "listn: 1.2.3.4:80\n"),
            "/etc/juanie/juanie.yaml:4: listn: unknown key");
  EXPECT_EQ(error_of(base + "sandbox: {backend: lxc}\n"),
            "/etc/juanie/juanie.yaml:4: sandbox.backend: must be bwrap, podman or docker");
  EXPECT_EQ(error_of(base + "recovery: retry\n"),
            "/etc/juanie/juanie.yaml:4: recovery: must be requeue or fail");
  EXPECT_EQ(error_of(base + "listen: 127.0.0.1:99999\n"),
            "/etc/juanie/juanie.yaml:4: listen: \"99999\" is not a port number");
  EXPECT_EQ(
      error_of(base + "limits:\n  rollout_timeout: 0s\n"),
      "/etc/juanie/juanie.yaml:5: limits.rollout_timeout: \"0s\" is not a duration (like 30s, "
      "10m, 24h, 1h30m)");
  EXPECT_EQ(parse(base + "limits:\n  rollout_timeout: 15m\n")->limits.rollout_timeout, 15min);
  EXPECT_EQ(parse(base)->limits.rollout_timeout, 10min);
  EXPECT_EQ(error_of(base + "limits:\n  step_timeout: soon\n"),
            "/etc/juanie/juanie.yaml:5: limits.step_timeout: \"soon\" is not a duration (like "
            "30s, 10m, 24h, 1h30m)");
  EXPECT_EQ(error_of(base + "api_tokens:\n  - name: ops\n    sha256: hunter2\n"),
            "/etc/juanie/juanie.yaml:6: api_tokens[0].sha256: must be the 64-digit hex SHA-256 "
            "of the token (sha256sum), never the token");
  EXPECT_EQ(error_of(base + "approvals: {signing_key: ../etc/shadow}\n"),
            "/etc/juanie/juanie.yaml:4: approvals.signing_key: \"../etc/shadow\" must be a file "
            "name inside secrets_dir, without directories");
  EXPECT_EQ(error_of("projects_dir: /p\nsecrets_dir: /s\n"),
            "/etc/juanie/juanie.yaml:1: data_dir: is required");
}

TEST(DaemonConfig, SharedStoreNodeAndCluster) {
  const std::string base = "data_dir: /d\nprojects_dir: /p\nsecrets_dir: /s\n";
  auto has = [](const std::string& error, const std::string& part) {
    return error.find(part) != std::string::npos;
  };
  EXPECT_EQ(parse(base)->store.backend, Store::Backend::kSqlite);
  auto shared = parse(base +
                      "store: {backend: postgresql, url_file: pg.url}\n"
                      "node: {name: build-1, labels: [linux, amd64]}\n"
                      "cluster: {lease_ttl: 30s, node_retention: 2d}\n");
  ASSERT_TRUE(shared) << shared.error().message;
  EXPECT_EQ(shared->store.backend, Store::Backend::kPostgresql);
  EXPECT_EQ(shared->store.url_file, "pg.url");
  EXPECT_EQ(shared->node.name, "build-1");
  EXPECT_EQ(shared->node.labels, (std::vector<std::string>{"linux", "amd64"}));
  EXPECT_EQ(shared->cluster.lease_ttl, std::chrono::seconds(30));
  EXPECT_EQ(shared->cluster.node_retention, std::chrono::hours(48));
  EXPECT_EQ(parse(base)->cluster.node_retention, std::chrono::hours(24 * 7));
  EXPECT_FALSE(parse(base + "store: {backend: postgresql, url_file: pg.url}\n")->node.name.empty());
  EXPECT_TRUE(has(error_of(base + "store: {backend: mysql}\n"),
                  "juanie.yaml:4: store.backend: must be sqlite or postgresql"));
  EXPECT_TRUE(
      has(error_of(base + "store: {backend: postgresql}\n"), "store.url_file: is required"));
  EXPECT_TRUE(has(error_of(base + "store: {backend: postgresql, url_file: ../pg.url}\n"),
                  "store.url_file"));
  EXPECT_TRUE(has(error_of(base + "store: {url_file: pg.url}\n"),
                  "store.url_file: is for the postgresql backend"));
  EXPECT_TRUE(has(error_of(base + "node: {name: a}\n"), "node: is for several nodes"));
  EXPECT_TRUE(
      has(error_of(base + "store: {backend: postgresql, url_file: u}\nnode: {name: \"a b\"}\n"),
          "node.name: \"a b\" must be 1 to 63 letters"));
  EXPECT_TRUE(
      has(error_of(base + "store: {backend: postgresql, url_file: u}\nnode: {labels: [\"x;y\"]}\n"),
          "node.labels: \"x;y\" must be"));
  EXPECT_TRUE(
      has(error_of(base + "store: {backend: postgresql, url_file: u}\ncluster: {lease_ttl: 1s}\n"),
          "cluster.lease_ttl: must be at least 3s"));
  EXPECT_TRUE(has(
      error_of(base + "store: {backend: postgresql, url_file: u}\ncluster: {node_retention: 5m}\n"),
      "cluster.node_retention: must be at least 1h"));
  EXPECT_TRUE(has(error_of(base + "store: {backend: postgresql, url_file: u, pool: 3}\n"),
                  "store.pool: unknown key"));
}

TEST(DaemonConfig, SandboxBackends) {
  const std::string base = "data_dir: /d\nprojects_dir: /p\nsecrets_dir: /s\n";
  auto podman = parse(base +
                      "sandbox:\n  backend: podman\n  runtime: runc\n  memory: 2GiB\n"
                      "  default_image: localhost/busybox:1\n");
  ASSERT_TRUE(podman) << podman.error().message;
  EXPECT_EQ(podman->sandbox.backend, "podman");
  EXPECT_EQ(podman->sandbox.engine, "podman");
  EXPECT_EQ(podman->sandbox.runtime, "runc");
  EXPECT_EQ(podman->sandbox.memory, 2ULL << 30);
  EXPECT_EQ(podman->sandbox.default_image, "localhost/busybox:1");
  auto docker = parse(base + "sandbox: {backend: docker, engine: /opt/bin/docker}\n");
  ASSERT_TRUE(docker) << docker.error().message;
  EXPECT_EQ(docker->sandbox.engine, "/opt/bin/docker");
  auto bwrap = parse(base + "sandbox:\n  root_filesystems: {alpine: roots/alpine}\n");
  ASSERT_TRUE(bwrap) << bwrap.error().message;
  EXPECT_EQ(bwrap->sandbox.root_filesystems.at("alpine"), "/etc/juanie/roots/alpine");

  EXPECT_EQ(error_of(base + "sandbox: {backend: bwrap, default_image: x}\n"),
            "/etc/juanie/juanie.yaml:4: sandbox.default_image: is for the podman and docker "
            "backends");
  EXPECT_EQ(error_of(base + "sandbox:\n  backend: podman\n  root_filesystems: {a: /r}\n"),
            "/etc/juanie/juanie.yaml:6: sandbox.root_filesystems: is for the bwrap backend");
  EXPECT_EQ(error_of(base + "sandbox:\n  root_filesystems: {alpine: }\n"),
            "/etc/juanie/juanie.yaml:5: sandbox.root_filesystems.alpine: must be a directory");
  auto ttl = parse(base + "limits: {workspace_ttl: 2h}\n");
  ASSERT_TRUE(ttl) << ttl.error().message;
  EXPECT_EQ(ttl->limits.workspace_ttl, std::chrono::hours(2));
  EXPECT_EQ(parse(base)->limits.workspace_ttl, std::chrono::hours(24));
  EXPECT_EQ(parse(base)->limits.min_free_disk, 1ULL << 30);
  EXPECT_EQ(parse(base + "limits: {min_free_disk: 0}\n")->limits.min_free_disk, 0u);
  // Memory and tmpfs sizes hold for every backend, bwrap included (enforced by a cgroup).
  auto sized = parse(base + "sandbox: {memory: 512MiB, tmpfs_size: 64MiB}\n");
  ASSERT_TRUE(sized) << sized.error().message;
  EXPECT_EQ(sized->sandbox.memory, 512ULL << 20);
  EXPECT_EQ(sized->sandbox.tmpfs_size, 64ULL << 20);
  auto defaults = parse(base);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->sandbox.memory, 4ULL << 30);
  EXPECT_EQ(defaults->sandbox.tmpfs_size, 1ULL << 30);
  auto unlimited = parse(base + "sandbox: {memory: 0}\n");
  ASSERT_TRUE(unlimited) << unlimited.error().message;
  EXPECT_EQ(unlimited->sandbox.memory, 0u);
  EXPECT_EQ(error_of(base + "sandbox: {memory: 1MiB}\n"),
            "/etc/juanie/juanie.yaml:4: sandbox.memory: must be 0 (unlimited) or at least 16MiB");
  EXPECT_EQ(error_of(base + "sandbox: {tmpfs_size: 4KiB}\n"),
            "/etc/juanie/juanie.yaml:4: sandbox.tmpfs_size: must be at least 1MiB");
  EXPECT_EQ(error_of(base + "sandbox: {backend: podman, memory: lots}\n"),
            "/etc/juanie/juanie.yaml:4: sandbox.memory: \"lots\" is not a size (like 512KiB, "
            "10MiB, 1GiB)");
}

TEST(DaemonConfig, Retention) {
  const std::string base = "data_dir: /var/lib/juanie\nprojects_dir: p\nsecrets_dir: s\n";
  auto defaults = parse(base);
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->retention.logs, std::chrono::days(30));
  EXPECT_EQ(defaults->retention.runs, std::chrono::days(365));
  auto set = parse(base + "retention:\n  logs: 7d\n  runs: forever\n");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->retention.logs, std::chrono::days(7));
  EXPECT_EQ(set->retention.runs, std::chrono::milliseconds(0));
  EXPECT_EQ(error_of(base + "retention:\n  logs: a month\n"),
            "/etc/juanie/juanie.yaml:5: retention.logs: \"a month\" is not a duration (like 30s, "
            "10m, 24h, 1h30m)");
  EXPECT_EQ(error_of(base + "retention:\n  runs: 10m\n"),
            "/etc/juanie/juanie.yaml:5: retention.runs: must be forever or at least 1h");
  EXPECT_EQ(error_of(base + "retention:\n  run: 90d\n"),
            "/etc/juanie/juanie.yaml:5: retention.run: unknown key");
}

TEST(DaemonConfig, SyntaxErrorsHaveLineAndColumn) {
  const std::string message = error_of("data_dir: [unclosed\nprojects_dir: /p\n");
  EXPECT_EQ(message.rfind("/etc/juanie/juanie.yaml:", 0), 0u) << message;
  EXPECT_NE(message.find(":2:"), std::string::npos) << message;
}

TEST(DaemonConfig, NotAMapping) {
  EXPECT_NE(error_of("- a\n- b\n").find("must be a mapping"), std::string::npos);
}

}  // namespace
}  // namespace juanie::daemon::config

namespace juanie::daemon::config {
namespace {

TEST(DaemonConfig, NotificationSinksAndSigningKeys) {
  const std::string base = "data_dir: /d\nprojects_dir: /p\nsecrets_dir: /s\n";
  auto c = parse_daemon_config(
      base +
          "approvals: {signing_key: [new.key, old.key], link_ttl: 2h}\n"
          "notifications:\n"
          "  - {type: webhook, url: hook.url, secret: hook.secret, events: [run_failed]}\n"
          "  - {type: email, smtp: \"smtp://mail:587\", starttls: true, from: ci@x.org,\n"
          "     to: [ops@x.org], username: ci, password: smtp.pass}\n",
      "/etc/juanie/juanie.yaml", std::nullopt);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->approvals.signing_keys, (std::vector<std::string>{"new.key", "old.key"}));
  EXPECT_EQ(c->approvals.link_ttl, std::chrono::hours(2));
  ASSERT_EQ(c->notifications.size(), 2u);
  EXPECT_TRUE(wants(c->notifications[0], "run_failed"));
  EXPECT_FALSE(wants(c->notifications[0], "approval_requested"));
  EXPECT_TRUE(wants(c->notifications[1], "approval_requested"));
  EXPECT_TRUE(c->notifications[1].starttls);
  EXPECT_EQ(c->notifications[1].to, std::vector<std::string>{"ops@x.org"});

  auto error_of = [&](const std::string& extra) {
    auto r = parse_daemon_config(base + extra, "/etc/juanie/juanie.yaml", std::nullopt);
    return r ? std::string("parsed") : r.error().message;
  };
  EXPECT_EQ(error_of("notifications:\n  - {type: teams, url: t.url}\n"),
            "/etc/juanie/juanie.yaml:5: notifications[0].type: must be webhook, dingtalk, slack or "
            "email");
  EXPECT_EQ(
      error_of("notifications:\n  - {type: slack}\n"),
      "/etc/juanie/juanie.yaml:5: notifications[0]: url or token: name the file in secrets_dir "
      "that holds the incoming webhook URL, or the one that holds a bot token (for direct "
      "messages)");
  EXPECT_EQ(error_of("notifications:\n  - {type: slack, url: s.url, channel: C1}\n"),
            "/etc/juanie/juanie.yaml:5: notifications[0].channel: needs token (a bot token file in "
            "secrets_dir)");
  EXPECT_EQ(
      error_of("notifications:\n  - {type: slack, token: s.token, api_url: \"ftp://x\"}\n"),
      "/etc/juanie/juanie.yaml:5: notifications[0].api_url: must start with https:// (or http://)");
  EXPECT_EQ(error_of("notifications:\n  - {type: dingtalk, url: d.url, token: t}\n"),
            "/etc/juanie/juanie.yaml:5: notifications[0].token: is for slack sinks");
  {
    auto bot = parse_daemon_config(
        base + "notifications:\n  - {type: slack, token: s.token, channel: C1}\n",
        "/etc/juanie/juanie.yaml", std::nullopt);
    ASSERT_TRUE(bot) << bot.error().message;
    EXPECT_EQ(bot->notifications[0].api_url, "https://slack.com/api");
    EXPECT_TRUE(reaches_people(bot->notifications[0]));
    EXPECT_TRUE(reaches_group(bot->notifications[0]));
  }
  EXPECT_EQ(
      error_of("notifications:\n  - {type: slack, url: https://hooks.slack.com/x}\n"),
      "/etc/juanie/juanie.yaml:5: notifications[0].url: \"https://hooks.slack.com/x\" must be "
      "a file name inside secrets_dir, without directories");
  EXPECT_EQ(error_of("notifications:\n  - {type: webhook, url: u, events: [deployed]}\n"),
            "/etc/juanie/juanie.yaml:5: notifications[0].events: \"deployed\" is not an event "
            "(approval_requested, deployment_succeeded, deployment_failed, deployment_cancelled, "
            "deployment_rolled_back, run_failed)");
  EXPECT_EQ(error_of("notifications:\n  - {type: email, from: a@b}\n"),
            "/etc/juanie/juanie.yaml:5: notifications[0].smtp: is required");
  EXPECT_EQ(error_of("notifications:\n  - {type: email, smtp: \"smtp://u:p@mail\", from: a@b}\n"),
            "/etc/juanie/juanie.yaml:5: notifications[0].smtp: must not carry credentials; use "
            "username and password (a file in secrets_dir)");
  EXPECT_EQ(
      error_of(
          "notifications:\n  - {type: email, smtp: \"smtp://mail\", from: a@b, username: u}\n"),
      "/etc/juanie/juanie.yaml:5: notifications[0]: username and password go together");
  EXPECT_EQ(error_of("notifications:\n  - {type: webhook, url: u, smtp: \"smtp://m\"}\n"),
            "/etc/juanie/juanie.yaml:5: notifications[0].smtp: is for email sinks");
  EXPECT_EQ(error_of("approvals: {signing_key: []}\n"),
            "/etc/juanie/juanie.yaml:4: approvals.signing_key: must name at least one key file");
  EXPECT_EQ(error_of("approvals: {signing_key: [a.key, ../b.key]}\n"),
            "/etc/juanie/juanie.yaml:4: approvals.signing_key: \"../b.key\" must be a file name in "
            "secrets_dir");
}

}  // namespace
}  // namespace juanie::daemon::config
