#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_config.hpp"

namespace juanie::daemon::config {

// A project with the secrets the daemon itself needs already read from secrets_dir.
struct LoadedProject {
  ProjectConfig config;
  std::string webhook_secret;
  std::string flux_key;
};

using ProjectMap = std::map<std::string, std::shared_ptr<const LoadedProject>, std::less<>>;

struct Configuration {
  DaemonConfig daemon;
  ProjectMap projects;
};

// Reads a secret file: its bytes without trailing whitespace or newlines.
Result<std::string> read_secret(const SecretsDir& secrets_dir, const SecretRef& ref);

Result<std::string> read_text_file(const std::filesystem::path& file);

// Every *.yaml / *.yml in projects_dir, each referenced secret file checked (the daemon
// refuses to start half-configured). Names must be unique across files.
Result<ProjectMap> load_projects(const DaemonConfig& daemon);

// systemd's $CREDENTIALS_DIRECTORY (LoadCredential=), the default secrets_dir; nullopt unset.
std::optional<std::string> credentials_directory();

Result<Configuration> load_configuration(const std::filesystem::path& file,
                                         std::optional<std::string> credentials_directory);

}  // namespace juanie::daemon::config
