#include "daemon/approvals/signing_keys.hpp"

#include "daemon/config/loader.hpp"

namespace juanie::daemon::approvals {

Result<std::vector<SigningKey>> load_signing_keys(const config::DaemonConfig& daemon) {
  std::vector<SigningKey> keys;
  for (const auto& file : daemon.approvals.signing_keys) {
    const std::string field = daemon.source.string() + ": approvals.signing_key: ";
    auto secret = config::read_secret(daemon.secrets_dir, config::SecretRef{file, field});
    if (!secret) return std::unexpected(secret.error());
    if (secret->size() < 32) {
      return fail(field + file + " holds " + std::to_string(secret->size()) +
                  " bytes; a signing key needs at least 32 (head -c 48 /dev/urandom | base64)");
    }
    keys.push_back(make_signing_key(std::move(*secret)));
  }
  return keys;
}

}  // namespace juanie::daemon::approvals
