#include "runner/git_credentials.hpp"

#include <git2.h>

#include "runner/known_hosts.hpp"

namespace juanie::runner {
namespace {

int credential(git_credential** out, const char* /*url*/, const char* username_from_url,
               unsigned int allowed, void* payload) {
  auto& state = *static_cast<CredentialState*>(payload);
  const GitCredentials& c = *state.credentials;
  const std::string user = username_from_url && *username_from_url ? username_from_url
                           : !c.username.empty()                   ? c.username
                                                                   : "git";
  // Asked again for a kind already given: the server refused it.
  auto once = [&](unsigned bit) {
    if (state.offered & bit) return false;
    state.offered |= bit;
    return true;
  };
  if ((allowed & GIT_CREDENTIAL_SSH_MEMORY) && !c.ssh_private_key.empty() &&
      once(GIT_CREDENTIAL_SSH_MEMORY)) {
    return git_credential_ssh_key_memory_new(out, user.c_str(), nullptr, c.ssh_private_key.c_str(),
                                             nullptr);
  }
  if ((allowed & GIT_CREDENTIAL_USERNAME) && once(GIT_CREDENTIAL_USERNAME)) {
    return git_credential_username_new(out, user.c_str());
  }
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !c.token.empty() &&
      once(GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
    return git_credential_userpass_plaintext_new(out, user.c_str(), c.token.c_str());
  }
  const bool any = !c.ssh_private_key.empty() || !c.token.empty();
  git_error_set_str(GIT_ERROR_NET, any ? "the server refused the configured credentials"
                                       : "the server asks for credentials and none are "
                                         "configured");
  return GIT_EAUTH;
}

int certificate(git_cert* cert, int /*valid*/, const char* host, void* payload) {
  auto& state = *static_cast<CredentialState*>(payload);
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;  // TLS: the usual
  const auto* key = reinterpret_cast<const git_cert_hostkey*>(cert);
  if ((key->type & GIT_CERT_SSH_RAW) &&
      known_host_key(state.credentials->known_hosts, host,
                     std::string_view(key->hostkey, key->hostkey_len))) {
    return 0;
  }
  state.refused_host = host;
  git_error_set_str(
      GIT_ERROR_SSH,
      (std::string("the host key of ") + host + " is not in the configured known_hosts").c_str());
  return GIT_ECERTIFICATE;
}

}  // namespace

void attach_credentials(git_remote_callbacks& callbacks, CredentialState& state) {
  callbacks.credentials = credential;
  callbacks.certificate_check = certificate;
  callbacks.payload = &state;
}

}  // namespace juanie::runner
