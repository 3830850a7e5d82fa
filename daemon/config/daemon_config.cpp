#include "daemon/config/daemon_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "pipelines/image_reference.hpp"
#include "pipelines/node_label.hpp"
#include "pipelines/yaml_reader.hpp"

namespace juanie::daemon::config {
namespace {

using pipelines::FieldError;
using pipelines::location;
using pipelines::MapReader;
using pipelines::parse_yaml;

namespace fs = std::filesystem;

// The default node name: the host's own, as several nodes on several machines differ by it.
std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "juanie";
  std::string out(name);
  for (char& c : out) {
    if (!pipelines::is_label_char(c)) c = '-';
  }
  return out.substr(0, 63);
}

fs::path resolve(const fs::path& base_dir, const std::string& value) {
  fs::path p(value);
  return p.is_absolute() ? p : (base_dir / p).lexically_normal();
}

ListenAddress parse_listen(MapReader& root) {
  ListenAddress out;
  auto text = root.optional_string("listen");
  if (!text) return out;
  const auto colon = text->rfind(':');
  if (colon == std::string::npos || colon == 0) {
    root.fail_at(*root.child("listen"), "listen", "must be host:port, like 127.0.0.1:8080");
  }
  std::string host = text->substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const std::string port_text = text->substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) {
    root.fail_at(*root.child("listen"), "listen", "\"" + port_text + "\" is not a port number");
  }
  out.host = host;
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

Limits parse_limits(MapReader& root) {
  Limits out;
  auto node = root.child("limits");
  if (!node) return out;
  MapReader r(*node, root.file(), "limits");
  if (auto v = r.optional_int("concurrent_runs", 0, 1024))
    out.concurrent_runs = static_cast<int>(*v);
  if (auto v = r.optional_int("runs_per_project", 1, 1024))
    out.runs_per_project = static_cast<int>(*v);
  if (auto v = r.optional_duration("step_timeout")) out.step_timeout = *v;
  if (auto v = r.optional_size("log_max")) out.log_max = *v;
  if (auto v = r.optional_size("body_max")) {
    if (*v < 1024 || *v > (1ULL << 30)) {
      r.fail_at(*r.child("body_max"), "body_max", "must be between 1KiB and 1GiB");
    }
    out.body_max = *v;
  }
  if (auto v = r.optional_int("run_attempts", 1, 100)) out.run_attempts = static_cast<int>(*v);
  if (auto v = r.optional_size("checkout_file_max")) out.checkout_file_max = *v;
  if (auto v = r.optional_size("checkout_max")) out.checkout_max = *v;
  if (auto v = r.optional_int("max_connections", 1, 100000)) {
    out.max_connections = static_cast<int>(*v);
  }
  if (auto v = r.optional_int("connections_per_ip", 1, 100000)) {
    out.connections_per_ip = static_cast<int>(*v);
  }
  if (auto v = r.optional_duration("header_timeout")) out.header_timeout = *v;
  if (auto v = r.optional_duration("body_timeout")) out.body_timeout = *v;
  if (auto v = r.optional_duration("shutdown_timeout")) out.shutdown_timeout = *v;
  if (auto v = r.optional_duration("workspace_ttl")) out.workspace_ttl = *v;
  if (auto v = r.optional_size("min_free_disk")) out.min_free_disk = *v;
  if (auto v = r.optional_duration("rollout_timeout")) {
    if (*v < std::chrono::seconds(1)) {
      r.fail_at(*r.child("rollout_timeout"), "rollout_timeout", "must be at least 1s");
    }
    out.rollout_timeout = *v;
  }
  r.finish();
  return out;
}

// A duration of an hour or more, or `forever` (0): shorter would take a run's records while
// the run still records its deployment.
std::optional<std::chrono::milliseconds> kept_for(MapReader& r, std::string_view key) {
  if (r.optional_string(key) == "forever") return std::chrono::milliseconds(0);
  auto value = r.optional_duration(key);
  if (value && *value < std::chrono::hours(1)) {
    r.fail_at(*r.child(key), key, "must be forever or at least 1h");
  }
  return value;
}

Retention parse_retention(MapReader& root) {
  Retention out;
  auto node = root.child("retention");
  if (!node) return out;
  MapReader r(*node, root.file(), "retention");
  if (auto v = kept_for(r, "logs")) out.logs = *v;
  if (auto v = kept_for(r, "runs")) out.runs = *v;
  r.finish();
  return out;
}

Store parse_store(MapReader& root) {
  Store out;
  auto node = root.child("store");
  if (!node) return out;
  MapReader r(*node, root.file(), "store");
  const std::string backend = r.optional_string("backend").value_or("sqlite");
  if (backend == "postgresql") {
    out.backend = Store::Backend::kPostgresql;
    auto url = r.optional_secret_file("url_file");
    if (!url)
      r.fail_at(
          *node, "url_file",
          "is required with backend postgresql (a file in secrets_dir holding the connection URI)");
    out.url_file = *url;
  } else if (backend == "sqlite") {
    if (auto n = r.child("url_file")) r.fail_at(*n, "url_file", "is for the postgresql backend");
  } else {
    r.fail_at(*r.child("backend"), "backend", "must be sqlite or postgresql");
  }
  r.finish();
  return out;
}

Node parse_node(MapReader& root, std::string default_name) {
  Node out;
  out.name = std::move(default_name);
  auto node = root.child("node");
  if (!node) return out;
  MapReader r(*node, root.file(), "node");
  if (auto name = r.optional_string("name")) {
    if (!pipelines::is_node_label(*name)) {
      r.fail_at(*r.child("name"), "name",
                "\"" + *name + "\" must be 1 to 63 letters, digits, '-', '_' or '.'");
    }
    out.name = *name;
  }
  if (auto labels = r.optional_string_list("labels")) {
    for (const auto& label : *labels) {
      if (!pipelines::is_node_label(label)) {
        r.fail_at(*r.child("labels"), "labels",
                  "\"" + label + "\" must be 1 to 63 letters, digits, '-', '_' or '.'");
      }
    }
    out.labels = *labels;
  }
  r.finish();
  return out;
}

Cluster parse_cluster(MapReader& root) {
  Cluster out;
  auto node = root.child("cluster");
  if (!node) return out;
  MapReader r(*node, root.file(), "cluster");
  if (auto ttl = r.optional_duration("lease_ttl")) {
    if (*ttl < std::chrono::seconds(3)) {
      r.fail_at(*r.child("lease_ttl"), "lease_ttl", "must be at least 3s");
    }
    out.lease_ttl = *ttl;
  }
  if (auto retention = r.optional_duration("node_retention")) {
    if (*retention < std::chrono::hours(1)) {
      r.fail_at(*r.child("node_retention"), "node_retention", "must be at least 1h");
    }
    out.node_retention = *retention;
  }
  r.finish();
  return out;
}

std::vector<ApiToken> parse_api_tokens(MapReader& root) {
  std::vector<ApiToken> out;
  auto node = root.child("api_tokens");
  if (!node) return out;
  if (!node->IsSequence()) root.fail_at(*node, "api_tokens", "must be a list");
  for (std::size_t i = 0; i < node->size(); ++i) {
    MapReader r((*node)[i], root.file(), "api_tokens[" + std::to_string(i) + "]");
    ApiToken token;
    token.name = r.required_string("name");
    const std::string hex = r.required_string("sha256");
    auto digest = hex_decode_digest(hex);
    if (!digest) {
      r.fail_at(*r.child("sha256"), "sha256",
                "must be the 64-digit hex SHA-256 of the token (sha256sum), never the token");
    }
    token.sha256 = *digest;
    token.person = r.optional_string("person").value_or("");
    r.finish();
    out.push_back(std::move(token));
  }
  return out;
}

DaemonConfig parse(const YAML::Node& doc, const fs::path& file,
                   const std::optional<std::string>& credentials_directory) {
  const fs::path base = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  MapReader root(doc, file.string(), "");
  if (!doc.IsMap()) root.fail_here("the daemon configuration must be a mapping");
  DaemonConfig out;
  out.source = file;
  out.listen = parse_listen(root);
  if (auto tls = root.child("tls")) {
    MapReader r(*tls, root.file(), "tls");
    out.tls =
        TlsFiles{resolve(base, r.required_string("cert")), resolve(base, r.required_string("key"))};
    r.finish();
  }
  out.public_url = root.optional_string("public_url").value_or("");
  if (!out.public_url.empty() && !out.public_url.starts_with("http://") &&
      !out.public_url.starts_with("https://")) {
    root.fail_at(*root.child("public_url"), "public_url", "must start with http:// or https://");
  }
  out.data_dir = resolve(base, root.required_string("data_dir"));
  out.projects_dir = resolve(base, root.required_string("projects_dir"));
  const bool under_systemd = credentials_directory && !credentials_directory->empty();
  const auto secrets = root.optional_string("secrets_dir");
  if (auto credential = root.optional_string("secrets_credential")) {
    // LoadCredential=ID:DIR: every file of DIR arrives as the credential ID_FILE.
    const YAML::Node node = *root.child("secrets_credential");
    if (secrets) {
      root.fail_at(node, "secrets_credential", "name secrets_dir or secrets_credential, not both");
    }
    if (credential->empty() || credential->find_first_of("/:") != std::string::npos ||
        *credential == "." || *credential == "..") {
      root.fail_at(node, "secrets_credential",
                   "\"" + *credential +
                       "\" must be the ID of the unit's LoadCredential=ID:DIRECTORY (no / or :)");
    }
    if (!under_systemd) {
      root.fail_at(node, "secrets_credential",
                   "$CREDENTIALS_DIRECTORY is not set: systemd sets it for a unit with "
                   "LoadCredential=" +
                       *credential +
                       ":/etc/juanie/secrets (start juanie from its unit), or name secrets_dir "
                       "instead");
    }
    out.secrets_dir = SecretsDir(*credentials_directory, *credential + "_");
  } else if (secrets) {
    out.secrets_dir = resolve(base, *secrets);
  } else if (under_systemd) {
    out.secrets_dir = SecretsDir(*credentials_directory);
  } else {
    throw FieldError(location(file.string(), doc.Mark(), "secrets_dir") +
                     "is required when $CREDENTIALS_DIRECTORY is not set");
  }
  if (auto sandbox = root.child("sandbox")) {
    MapReader r(*sandbox, root.file(), "sandbox");
    auto& s = out.sandbox;
    if (auto backend = r.optional_string("backend")) {
      if (*backend != "bwrap" && *backend != "podman" && *backend != "docker") {
        r.fail_at(*r.child("backend"), "backend", "must be bwrap, podman or docker");
      }
      s.backend = *backend;
    }
    s.engine = r.optional_string("engine").value_or(s.backend == "bwrap" ? "" : s.backend);
    s.runtime = r.optional_string("runtime").value_or("");
    if (auto memory = r.optional_size("memory")) {
      if (*memory != 0 && *memory < (16ULL << 20)) {
        r.fail_at(*r.child("memory"), "memory", "must be 0 (unlimited) or at least 16MiB");
      }
      s.memory = *memory;
    }
    if (auto size = r.optional_size("tmpfs_size")) {
      if (*size < (1ULL << 20))
        r.fail_at(*r.child("tmpfs_size"), "tmpfs_size", "must be at least 1MiB");
      s.tmpfs_size = *size;
    }
    s.default_image = r.optional_string("default_image").value_or("");
    if (auto problem = pipelines::image_reference_problem(s.default_image);
        problem && !s.default_image.empty()) {
      r.fail_at(*r.child("default_image"), "default_image",
                "\"" + s.default_image + "\" " + *problem);
    }
    if (auto roots = r.child("root_filesystems")) {
      MapReader rr = r.nested(*roots, r.field("root_filesystems"));
      for (const auto& entry : *roots) {
        const std::string image = entry.first.Scalar();
        auto dir = rr.optional_string(image);
        if (!dir || dir->empty()) rr.fail_at(entry.second, image, "must be a directory");
        s.root_filesystems[image] = resolve(base, *dir);
      }
      rr.finish();
    }
    if (s.backend == "bwrap") {
      for (const char* key : {"engine", "runtime", "default_image"}) {
        if (auto n = r.child(key)) r.fail_at(*n, key, "is for the podman and docker backends");
      }
    } else if (auto n = r.child("root_filesystems")) {
      r.fail_at(*n, "root_filesystems", "is for the bwrap backend");
    }
    r.finish();
  }
  if (auto v = root.optional_int("http_threads", 1, 64)) out.http_threads = static_cast<int>(*v);
  if (auto v = root.optional_string("recovery")) {
    if (*v != "requeue" && *v != "fail") {
      root.fail_at(*root.child("recovery"), "recovery", "must be requeue or fail");
    }
    out.requeue_interrupted = *v == "requeue";
  }
  out.limits = parse_limits(root);
  out.retention = parse_retention(root);
  if (auto approvals = root.child("approvals")) {
    MapReader r(*approvals, root.file(), "approvals");
    if (auto list = r.child("signing_key"); list && list->IsSequence()) {
      auto names = r.optional_string_list("signing_key");
      for (const auto& name : *names) {
        if (!pipelines::is_safe_file_name(name)) {
          r.fail_at(*list, "signing_key", "\"" + name + "\" must be a file name in secrets_dir");
        }
      }
      if (names->empty()) r.fail_at(*list, "signing_key", "must name at least one key file");
      out.approvals.signing_keys = *names;
    } else if (auto name = r.optional_secret_file("signing_key")) {
      out.approvals.signing_keys = {*name};
    }
    if (auto ttl = r.optional_duration("link_ttl")) out.approvals.link_ttl = *ttl;
    r.finish();
  }
  out.api_tokens = parse_api_tokens(root);
  out.notifications = parse_notification_sinks(root);
  out.store = parse_store(root);
  out.node = parse_node(root, host_name());
  out.cluster = parse_cluster(root);
  if (out.store.backend == Store::Backend::kSqlite) {
    for (const char* key : {"node", "cluster"}) {
      if (auto n = root.child(key)) {
        root.fail_at(*n, key,
                     "is for several nodes sharing a store: set store.backend: postgresql");
      }
    }
  }
  root.finish();
  return out;
}

}  // namespace

Result<DaemonConfig> parse_daemon_config(std::string_view text, const fs::path& file,
                                         std::optional<std::string> credentials_directory) {
  return pipelines::read_document(text, file.string(), [&](const YAML::Node& doc) {
    return parse(doc, file, credentials_directory);
  });
}

}  // namespace juanie::daemon::config
