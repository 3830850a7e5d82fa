#pragma once

#include <string>

struct git_remote_callbacks;

namespace juanie::runner {

// What a fetch or push may authenticate with. Empty fields are not offered.
struct GitCredentials {
  std::string username;         // https: sent with the token; ssh: when the URL names none
  std::string token;            // https: the password of HTTP basic authentication
  std::string ssh_private_key;  // the key itself (PEM or OpenSSH format), not a path
  // OpenSSH known_hosts text: an ssh server's host key must be listed here, or the connection
  // is refused (no trust on first use, no ~/.ssh of the daemon's user).
  std::string known_hosts;
};

// Points `callbacks` at `credentials` for libgit2's credential and certificate questions. Each
// kind of credential is offered once: a rejected token fails the operation instead of looping.
// `credentials` and `state` must outlive the operation.
struct CredentialState {
  const GitCredentials* credentials = nullptr;
  unsigned offered = 0;         // the git_credential_t kinds already given
  std::string refused_host;     // set when an ssh host key was not in known_hosts
  std::string rejected_update;  // a push: the server's reason for refusing a ref update
};
void attach_credentials(git_remote_callbacks& callbacks, CredentialState& state);

}  // namespace juanie::runner
