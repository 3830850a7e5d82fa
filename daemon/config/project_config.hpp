#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/notification_sink.hpp"
#include "daemon/forge/forge.hpp"
#include "pipelines/branch_strategy.hpp"
#include "pipelines/environment.hpp"
#include "pipelines/error.hpp"
#include "pipelines/fetch_shape.hpp"

namespace juanie::daemon::config {

// A reference to a file in secrets_dir, with where it was named so a missing file can be
// reported at the line that asked for it.
struct SecretRef {
  std::string file;
  std::string field;  // "file:line: repo.webhook_secret"
};

// A Flux Kustomization: where it lives in the cluster and its name.
struct FluxObjectRef {
  std::string kube_namespace;
  std::string name;
  bool operator==(const FluxObjectRef&) const = default;
};

// Where `juanie project init` puts the Flux objects it generates (Flux's own namespace), and so
// where a Kustomization named without a namespace is looked for.
inline constexpr std::string_view kFluxNamespace = "flux-system";

// How to reach a private repository: an https token or an ssh key (with the server's host keys).
struct GitAccess {
  std::string username;  // https: sent with the token (default "git"); ssh: if the URL has none
  std::optional<SecretRef> token;
  std::optional<SecretRef> ssh_key;
  // The ssh servers' host keys; without it the system's (/etc/ssh/ssh_known_hosts and the
  // daemon user's ~/.ssh/known_hosts). A host listed in neither is refused: no trust on first use.
  std::optional<SecretRef> known_hosts;
};

struct Approver {
  std::string name;
  std::string email;
  std::string dingtalk;
  std::string slack;
  // Their login on each forge (github, gitlab, gitea): a push or commit under one of them is
  // theirs, so they cannot approve its deployment where self-approval is not allowed.
  std::map<std::string, std::string, std::less<>> logins;
};

struct ProjectConfig {
  std::filesystem::path source;
  std::string name;
  std::string repo_url;
  GitAccess repo_access;
  // repo.depth and repo.filter: a shallow or partial mirror, made and fetched by the git CLI.
  pipelines::FetchShape repo_fetch;
  Forge forge = Forge::kGithub;
  // Commit statuses: reported only with a token (repo.status_token, a file in secrets_dir).
  std::optional<SecretRef> status_token;
  std::string status_api_url;  // repo.api_url; "": api.github.com, or the repository's host
  std::string status_context;  // repo.status_context; "": juanie/<name>
  SecretRef webhook_secret;
  std::string pipeline = ".juanie.yml";
  std::string image;
  std::optional<SecretRef> registry_auth;
  bool registry_tls_verify = true;   // false: a plain-http registry (a local one)
  bool registry_branch_tag = false;  // also push <image>:<branch> (release/1.2 → release-1.2)
  std::string gitops_url;
  std::string gitops_branch = "main";
  GitAccess gitops_access;
  std::string gitops_path = "overlays/{environment}/kustomization.yaml";
  std::string gitops_message;  // default pipelines::kDefaultCommitMessage
  std::string gitops_author_name = "juanie";
  std::string gitops_author_email = "juanie@localhost";
  std::vector<pipelines::Environment> environments;
  std::vector<pipelines::Rule> rules;
  std::map<std::string, Approver> approvers;
  std::map<std::string, SecretRef> secrets;  // pipeline secret name → file
  // The secrets a pull request from a fork may have (`NAME: {file: F, forks: true}`); every
  // other one is withheld from such runs.
  std::set<std::string> fork_secrets;
  bool fork_network = false;  // pull_requests.fork_network: fork PR steps may ask for a network
  // pull_requests.max_concurrent_forks: the project's pull request runs from forks running at
  // once; more wait in the queue (anyone can open them: they must not take every place).
  int max_concurrent_forks = 2;
  std::optional<SecretRef> flux_hmac_key;
  // Environment → its Flux Kustomization, where it is not `flux-system/<project>-<env>` (what
  // `project init` generates); written `name` (in flux-system) or `namespace/name`.
  std::map<std::string, FluxObjectRef> flux_kustomizations;
  std::vector<NotificationSink> notifications;  // besides the daemon's

  const pipelines::Environment* environment(std::string_view name) const;
  // The environment whose rollout the Flux Kustomization `kube_namespace`/`name` reports, if
  // any: both must be the environment's (a Kustomization of the same name in another
  // namespace — another tenant's, a copy — speaks for nothing here).
  std::optional<std::string> environment_of_kustomization(std::string_view kube_namespace,
                                                          std::string_view name) const;
};

// Names usable in URLs and file names: [a-z0-9][a-z0-9._-]{0,62}.
bool is_project_name(std::string_view name);

Result<ProjectConfig> parse_project_config(std::string_view text,
                                           const std::filesystem::path& file);

}  // namespace juanie::daemon::config
