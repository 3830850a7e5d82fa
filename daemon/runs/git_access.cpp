#include "daemon/runs/git_access.hpp"

#include <cstdlib>
#include <vector>

#include "daemon/config/loader.hpp"

namespace juanie::daemon {

Result<runner::GitCredentials> read_git_credentials(const config::SecretsDir& secrets_dir,
                                                    const config::GitAccess& access) {
  runner::GitCredentials c;
  c.username = access.username;
  auto read = [&](const std::optional<config::SecretRef>& ref, std::string& into) -> Result<void> {
    if (!ref) return {};
    auto value = config::read_secret(secrets_dir, *ref);
    if (!value) return std::unexpected(value.error());
    into = std::move(*value);
    return {};
  };
  for (auto [ref, into] :
       {std::pair{&access.token, &c.token}, std::pair{&access.ssh_key, &c.ssh_private_key},
        std::pair{&access.known_hosts, &c.known_hosts}}) {
    if (auto ok = read(*ref, *into); !ok) return std::unexpected(ok.error());
  }
  if (!access.known_hosts) {
    const char* home = std::getenv("HOME");
    std::vector<std::filesystem::path> files{"/etc/ssh/ssh_known_hosts"};
    if (home && *home) files.push_back(std::filesystem::path(home) / ".ssh/known_hosts");
    for (const auto& file : files) {
      if (auto text = config::read_text_file(file)) c.known_hosts += *text + "\n";
    }
  }
  // read_secret trims the end; a key file ends with a newline.
  if (!c.ssh_private_key.empty()) c.ssh_private_key += '\n';
  return c;
}

}  // namespace juanie::daemon
