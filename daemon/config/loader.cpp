#include "daemon/config/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "pipelines/approval_gate.hpp"

namespace juanie::daemon::config {

namespace fs = std::filesystem;

Result<std::string> read_text_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(file.string() + ": cannot read: " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return fail(file.string() + ": read error");
  return out.str();
}

Result<std::string> read_secret(const SecretsDir& secrets_dir, const SecretRef& ref) {
  const fs::path file = secrets_dir.file(ref.file);
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail(ref.field + "cannot read secret file " + file.string() + ": " +
                std::strerror(errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  std::string value = out.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ' ||
                            value.back() == '\t')) {
    value.pop_back();
  }
  if (value.empty()) return fail(ref.field + "secret file " + file.string() + " is empty");
  return value;
}

namespace {

Result<void> check_secret(const SecretsDir& secrets_dir, const std::optional<SecretRef>& ref) {
  if (!ref) return {};
  auto value = read_secret(secrets_dir, *ref);
  if (!value) return std::unexpected(value.error());
  return {};
}

Result<void> check_sink_files(const SecretsDir& secrets_dir, const std::string& file,
                              const std::vector<NotificationSink>& sinks) {
  for (std::size_t i = 0; i < sinks.size(); ++i) {
    const std::string field = file + ": notifications[" + std::to_string(i) + "].";
    for (const auto& [key, name] : {std::pair<const char*, const std::string&>{"url", sinks[i].url},
                                    {"secret", sinks[i].secret},
                                    {"password", sinks[i].password}}) {
      if (name.empty()) continue;
      if (auto ok = check_secret(secrets_dir, SecretRef{name, field + key + ": "}); !ok) {
        return std::unexpected(ok.error());
      }
    }
  }
  return {};
}

Result<std::shared_ptr<const LoadedProject>> load_project(const DaemonConfig& daemon,
                                                          const fs::path& file) {
  auto text = read_text_file(file);
  if (!text) return std::unexpected(text.error());
  auto parsed = parse_project_config(*text, file);
  if (!parsed) return std::unexpected(parsed.error());
  auto project = std::make_shared<LoadedProject>();
  project->config = std::move(*parsed);
  const ProjectConfig& c = project->config;
  auto webhook = read_secret(daemon.secrets_dir, c.webhook_secret);
  if (!webhook) return std::unexpected(webhook.error());
  project->webhook_secret = std::move(*webhook);
  if (c.flux_hmac_key) {
    auto flux = read_secret(daemon.secrets_dir, *c.flux_hmac_key);
    if (!flux) return std::unexpected(flux.error());
    project->flux_key = std::move(*flux);
  }
  for (const auto& ref :
       {c.registry_auth, c.repo_access.token, c.repo_access.ssh_key, c.repo_access.known_hosts,
        c.gitops_access.token, c.gitops_access.ssh_key, c.gitops_access.known_hosts}) {
    if (auto ok = check_secret(daemon.secrets_dir, ref); !ok) return std::unexpected(ok.error());
  }
  for (const auto& [name, ref] : c.secrets) {
    if (auto ok = check_secret(daemon.secrets_dir, ref); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = check_sink_files(daemon.secrets_dir, file.string(), c.notifications); !ok) {
    return std::unexpected(ok.error());
  }
  // A gate nobody can open is a configuration error, not a deployment waiting forever.
  for (const auto& rule : c.rules) {
    const auto* env = c.environment(rule.environment);
    if (env && pipelines::gate_of(*env) && daemon.approvals.signing_keys.empty()) {
      return fail(file.string() + ": environments." + env->name + " requires approval, but " +
                  daemon.source.string() +
                  " has no approvals.signing_key to sign the approvers' links");
    }
  }
  return std::shared_ptr<const LoadedProject>(std::move(project));
}

}  // namespace

Result<ProjectMap> load_projects(const DaemonConfig& daemon) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(daemon.projects_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto ext = it->path().extension();
    if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file()) files.push_back(it->path());
  }
  if (ec) {
    return fail(daemon.source.string() + ": projects_dir: cannot list " +
                daemon.projects_dir.string() + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  ProjectMap projects;
  for (const auto& file : files) {
    auto project = load_project(daemon, file);
    if (!project) return std::unexpected(project.error());
    const std::string& name = (*project)->config.name;
    if (auto it = projects.find(name); it != projects.end()) {
      return fail(file.string() + ": name: project \"" + name + "\" is already defined in " +
                  it->second->config.source.string());
    }
    projects.emplace(name, std::move(*project));
  }
  return projects;
}

std::optional<std::string> credentials_directory() {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (!dir) return std::nullopt;
  return std::string(dir);
}

Result<Configuration> load_configuration(const fs::path& file,
                                         std::optional<std::string> credentials_directory) {
  auto text = read_text_file(file);
  if (!text) return std::unexpected(text.error());
  auto daemon = parse_daemon_config(*text, file, std::move(credentials_directory));
  if (!daemon) return std::unexpected(daemon.error());
  if (auto ok = check_sink_files(daemon->secrets_dir, file.string(), daemon->notifications); !ok) {
    return std::unexpected(ok.error());
  }
  auto projects = load_projects(*daemon);
  if (!projects) return std::unexpected(projects.error());
  return Configuration{std::move(*daemon), std::move(*projects)};
}

}  // namespace juanie::daemon::config
