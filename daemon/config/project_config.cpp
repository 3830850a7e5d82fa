#include "daemon/config/project_config.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "pipelines/ascii.hpp"
#include "pipelines/commit_status.hpp"
#include "pipelines/image_reference.hpp"
#include "pipelines/message_template.hpp"
#include "pipelines/yaml_reader.hpp"

namespace juanie::daemon::config {
namespace {

using pipelines::FieldError;
using pipelines::location;
using pipelines::MapReader;
using pipelines::parse_yaml;

using pipelines::Environment;
using pipelines::RefKind;
using pipelines::Rule;

std::optional<SecretRef> secret_ref(MapReader& r, std::string_view key) {
  auto name = r.optional_secret_file(key);
  if (!name) return std::nullopt;
  const YAML::Node node = *r.child(key);
  return SecretRef{*name, location(r.file(), node.Mark(), r.field(key))};
}

// A Kubernetes namespace name (RFC 1123 label): what `kubectl` would accept.
bool is_namespace_name(std::string_view text) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return !text.empty() && text.size() <= 63 && alnum(text.front()) && alnum(text.back()) &&
         std::all_of(text.begin(), text.end(), [&](char c) { return alnum(c) || c == '-'; });
}

// `name` (in flux-system, where `project init` puts it) or `namespace/name`.
Result<FluxObjectRef> flux_object_ref(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return FluxObjectRef{std::string(kFluxNamespace), std::string(text)};
  }
  const auto kube_namespace = text.substr(0, slash);
  const auto name = text.substr(slash + 1);
  if (!is_namespace_name(kube_namespace)) {
    return fail("\"" + std::string(kube_namespace) +
                "\" is not a Kubernetes namespace (lowercase letters, digits and '-'; write "
                "NAME or NAMESPACE/NAME)");
  }
  if (name.empty() || name.find('/') != std::string_view::npos) {
    return fail("must be NAME or NAMESPACE/NAME of the environment's Flux Kustomization");
  }
  return FluxObjectRef{std::string(kube_namespace), std::string(name)};
}

GitAccess parse_git_access(MapReader& r) {
  GitAccess a;
  a.username = r.optional_string("username").value_or("");
  a.token = secret_ref(r, "token");
  a.ssh_key = secret_ref(r, "ssh_key");
  a.known_hosts = secret_ref(r, "known_hosts");
  return a;
}

// Credentials in a URL: a password in any userinfo (`https://bot:TOKEN@host/…`), or any
// userinfo at all over HTTP(S), where a token works as the user name too
// (`https://ghp_TOKEN@github.com/…`). They would be in logs and the database, where no secret
// belongs. ssh's `git@host` names a user, not a secret.
bool carries_credentials(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  const auto authority = url.substr(scheme + 3, url.find('/', scheme + 3) - scheme - 3);
  const auto at = authority.rfind('@');
  if (at == std::string::npos) return false;
  const std::string name = url.substr(0, scheme);
  return name == "http" || name == "https" ||
         authority.substr(0, at).find(':') != std::string::npos;
}

// http://127.0.0.1:8080/…, http://[::1]/…, http://localhost/…: a host whose traffic never
// leaves the machine (a forge on the build node, or behind a local TLS proxy).
bool names_loopback_host(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  auto authority = url.substr(scheme + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string host;
  if (authority.starts_with("[")) {
    host = std::string(authority.substr(1, authority.find(']') - 1));
  } else {
    host = std::string(authority.substr(0, authority.find(':')));
  }
  host = pipelines::ascii_lower(std::move(host));
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8, written as four decimal parts (not 127.1 or 0x7f.0.0.1, which resolvers read
  // differently).
  int parts = 0;
  std::size_t i = 0;
  while (i <= host.size()) {
    const auto dot = std::min(host.find('.', i), host.size());
    const auto part = std::string_view(host).substr(i, dot - i);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(part)) > 255 || (parts == 0 && part != "127")) {
      return false;
    }
    ++parts;
    i = dot + 1;
  }
  return parts == 4;
}

// A URL whose traffic anyone on the path reads: plain http to a host that is not loopback.
bool plain_http_beyond_loopback(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  return pipelines::ascii_iequals(url.substr(0, kHttp.size()), kHttp) && !names_loopback_host(url);
}

// A token given with a plain-http git URL would go over the wire in clear at every fetch or
// push (HTTP basic authentication), whatever the URL's host answers.
void refuse_token_in_clear(MapReader& r, const std::string& url, const GitAccess& access,
                           std::string_view section) {
  if (access.token && plain_http_beyond_loopback(url)) {
    r.fail_at(*r.child("url"), "url",
              "must be https:// when " + std::string(section) +
                  ".token is set (plain http:// would send the token in clear; it is allowed "
                  "only to a loopback host)");
  }
}

void parse_status_reporting(MapReader& r, ProjectConfig& out) {
  out.status_token = secret_ref(r, "status_token");
  if (auto v = r.optional_string("api_url")) {
    if (!v->starts_with("https://") && !v->starts_with("http://")) {
      r.fail_at(*r.child("api_url"), "api_url", "must be an http:// or https:// URL");
    }
    if (carries_credentials(*v)) {
      r.fail_at(*r.child("api_url"), "api_url",
                "must not carry credentials (they would be in logs and the database); the "
                "token belongs in a file in secrets_dir named as repo.status_token");
    }
    // Every status carries the token in a header: over plain http anyone on the path reads it.
    if (plain_http_beyond_loopback(*v)) {
      r.fail_at(*r.child("api_url"), "api_url",
                "must be https:// (plain http:// would send repo.status_token in clear; it is "
                "allowed only to a loopback host)");
    }
    out.status_api_url = *v;
  }
  if (auto v = r.optional_string("status_context")) {
    if (v->empty() || v->size() > 255 ||
        std::any_of(v->begin(), v->end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
      r.fail_at(*r.child("status_context"), "status_context",
                "must be 1 to 255 printable characters");
    }
    out.status_context = *v;
  }
  if (!out.status_token) return;
  // Said now rather than at the first status: a URL the API cannot be told from.
  if (!pipelines::repository_path(out.repo_url)) {
    r.fail_at(*r.child("url"), "url",
              "names no owner/repository path, which commit statuses (status_token) need");
  }
  if (out.status_api_url.empty()) {
    const auto base = pipelines::default_api_base(status_api(out.forge), out.repo_url);
    if (!base) {
      r.fail_at(*r.child("url"), "url", "has no host for commit statuses; set repo.api_url");
    }
    // The API base taken from an http:// repository URL is held to api_url's rule.
    if (plain_http_beyond_loopback(*base)) {
      r.fail_at(*r.child("url"), "url",
                "is plain http://, so commit statuses would send repo.status_token in clear; set "
                "an https:// repo.api_url");
    }
  }
}

// `url` of the section `r` reads (repo or gitops), refused when it carries credentials.
std::string url_without_credentials(MapReader& r, std::string_view section) {
  std::string url = r.required_string("url");
  if (carries_credentials(url)) {
    const std::string s(section);
    r.fail_at(*r.child("url"), "url",
              "must not carry credentials (they would be in logs and the database); put the "
              "token in a file in secrets_dir and name it as " +
                  s +
                  ".token (and the user, if "
                  "the forge needs one, as " +
                  s + ".username)");
  }
  return url;
}

// How much history the mirror holds (see pipelines/fetch_shape.hpp).
pipelines::FetchShape parse_fetch_shape(MapReader& r) {
  pipelines::FetchShape shape;
  if (auto v = r.optional_int("depth", 1, pipelines::kMaxFetchDepth))
    shape.depth = static_cast<int>(*v);
  if (auto v = r.optional_string("filter")) {
    if (!pipelines::valid_fetch_filter(*v)) {
      r.fail_at(*r.child("filter"), "filter",
                "must be blob:none or blob:limit=<size> (a number with an optional k, m or g)");
    }
    shape.filter = *v;
  }
  return shape;
}

void parse_repo(MapReader& root, ProjectConfig& out) {
  MapReader r(root.required_child("repo"), root.file(), "repo");
  out.repo_url = url_without_credentials(r, "repo");
  const std::string forge = r.required_string("forge");
  auto parsed = parse_forge(forge);
  if (!parsed) r.fail_at(*r.child("forge"), "forge", "must be github, gitlab or gitea");
  out.forge = *parsed;
  auto secret = secret_ref(r, "webhook_secret");
  if (!secret) r.fail_here("webhook_secret: is required (a file in secrets_dir)");
  out.webhook_secret = *secret;
  out.repo_access = parse_git_access(r);
  refuse_token_in_clear(r, out.repo_url, out.repo_access, "repo");
  out.repo_fetch = parse_fetch_shape(r);
  parse_status_reporting(r, out);
  r.finish();
}

void parse_environment(MapReader& envs, const std::string& name, Environment& env) {
  // A key with no value (`dev:`) reads as an empty mapping: the defaults.
  MapReader r(envs.child(name).value_or(YAML::Node()), envs.file(), "environments." + name);
  env.name = name;
  if (auto v = r.optional_string("namespace")) env.kube_namespace = *v;
  if (auto v = r.optional_int("replicas", 0, 1000)) env.replicas = static_cast<int>(*v);
  if (auto v = r.optional_string("resources")) env.resources = *v;
  if (auto v = r.optional_string("approval")) {
    auto approval = pipelines::parse_approval(*v);
    if (!approval)
      r.fail_at(*r.child("approval"), "approval", "must be none, optional or required");
    env.approval = *approval;
  }
  if (auto v = r.optional_string_list("approvers")) env.approvers = *v;
  if (auto v = r.optional_int("required_approvals", 0, 100)) {
    env.required_approvals = static_cast<int>(*v);
  } else if (env.approval == pipelines::Approval::kOptional && !env.approvers.empty()) {
    env.required_approvals = 1;  // naming approvers is how a project turns staging's gate on
  }
  if (auto v = r.optional_bool("allow_self_approval")) env.allow_self_approval = *v;
  if (auto v = r.optional_duration("approval_timeout")) {
    if (*v < std::chrono::minutes(1)) {
      r.fail_at(*r.child("approval_timeout"), "approval_timeout", "must be at least 1m");
    }
    env.approval_timeout = std::chrono::duration_cast<std::chrono::seconds>(*v);
  }
  if (auto v = r.optional_string("rollback")) {
    auto rollback = pipelines::parse_rollback(*v);
    if (!rollback) r.fail_at(*r.child("rollback"), "rollback", "must be auto or manual");
    env.rollback = *rollback;
  }
  if (auto v = r.optional_string("rollback_approval")) {
    if (*v != "none" && *v != "approval") {
      r.fail_at(*r.child("rollback_approval"), "rollback_approval",
                "must be none (a rollback goes at once) or approval (it passes the "
                "environment's approval, the default)");
    }
    env.rollback_needs_approval = *v == "approval";
  }
  if (auto ok = pipelines::check_policy(env); !ok) r.fail_here(ok.error().message);
  r.finish();
}

void parse_environments(MapReader& root, ProjectConfig& out) {
  out.environments = pipelines::default_environments();
  auto node = root.child("environments");
  if (node) {
    MapReader envs(*node, root.file(), "environments");
    for (const auto& entry : *node) {
      const std::string name = entry.first.Scalar();
      if (!is_project_name(name)) {
        envs.fail_at(entry.first, name, "an environment name must be lowercase letters, digits, -");
      }
      Environment* env = nullptr;
      for (auto& e : out.environments) {
        if (e.name == name) env = &e;
      }
      if (!env) {
        out.environments.push_back(
            Environment{name, name, 1, "small", pipelines::Approval::kNone, {}, 0, true});
        env = &out.environments.back();
      }
      parse_environment(envs, name, *env);
    }
    envs.finish();
  }
  for (const auto& env : out.environments) {
    if (env.kube_namespace.empty()) {
      root.fail_here("environments." + env.name + ".namespace: must not be empty");
    }
  }
}

void parse_rules(MapReader& root, ProjectConfig& out) {
  auto node = root.child("branches");
  if (!node) {
    out.rules = pipelines::default_rules();
    return;
  }
  if (!node->IsSequence()) root.fail_at(*node, "branches", "must be a list of rules");
  for (std::size_t i = 0; i < node->size(); ++i) {
    MapReader r((*node)[i], root.file(), "branches[" + std::to_string(i) + "]");
    Rule rule;
    const bool is_branch = r.has("match");
    const bool is_tag = r.has("tag");
    if (is_branch == is_tag) r.fail_here("needs exactly one of match (a branch glob) or tag");
    rule.kind = is_tag ? RefKind::kTag : RefKind::kBranch;
    rule.pattern = r.required_string(is_tag ? "tag" : "match");
    rule.environment = r.required_string("environment");
    if (!out.environment(rule.environment)) {
      r.fail_at(*r.child("environment"), "environment",
                "\"" + rule.environment + "\" is not an environment of this project");
    }
    if (auto trigger = r.optional_string("trigger")) {
      auto parsed = pipelines::parse_trigger(*trigger);
      if (!parsed) r.fail_at(*r.child("trigger"), "trigger", "must be push or manual");
      rule.trigger = *parsed;
    }
    r.finish();
    out.rules.push_back(std::move(rule));
  }
}

void parse_approvers(MapReader& root, ProjectConfig& out) {
  if (auto node = root.child("approvers")) {
    MapReader all(*node, root.file(), "approvers");
    for (const auto& entry : *node) {
      const std::string name = entry.first.Scalar();
      if (name.empty()) all.fail_at(entry.first, "", "an approver needs a name");
      const bool name_ok =
          name.size() <= 64 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '@';
          });
      if (!name_ok) {
        all.fail_at(entry.first, name, "an approver's name is letters, digits, . _ - @ (up to 64)");
      }
      MapReader r(all.child(name).value_or(YAML::Node()), root.file(), "approvers." + name);
      Approver a{name,
                 r.optional_string("email").value_or(""),
                 r.optional_string("dingtalk").value_or(""),
                 r.optional_string("slack").value_or(""),
                 {}};
      for (const char* forge : {"github", "gitlab", "gitea"}) {
        if (auto login = r.optional_string(forge)) {
          if (login->empty())
            r.fail_at(*r.child(forge), forge, "must be the approver's login, not empty");
          a.logins.emplace(forge, *login);
        }
      }
      r.finish();
      out.approvers.emplace(name, std::move(a));
    }
    all.finish();
  }
  for (const auto& env : out.environments) {
    for (const auto& name : env.approvers) {
      if (!out.approvers.contains(name)) {
        root.fail_here("environments." + env.name + ".approvers: \"" + name +
                       "\" is not listed under approvers");
      }
    }
  }
}

ProjectConfig parse(const YAML::Node& doc, const std::filesystem::path& file) {
  MapReader root(doc, file.string(), "");
  if (!doc.IsMap()) root.fail_here("a project file must be a mapping");
  ProjectConfig out;
  out.source = file;
  out.name = root.required_string("name");
  if (!is_project_name(out.name)) {
    root.fail_at(*root.child("name"), "name",
                 "\"" + out.name + "\" must be lowercase letters, digits, '.', '_' or '-'");
  }
  parse_repo(root, out);
  if (auto v = root.optional_string("pipeline")) {
    // A path in the repository's tree, read as git stores it: no leading '/', no '..', no
    // empty or '.' parts (a leading "./" is dropped).
    std::string path = *v;
    while (path.starts_with("./")) path.erase(0, 2);
    bool ok = !path.empty() && !path.starts_with('/') && !path.ends_with('/');
    for (std::size_t start = 0; ok && start <= path.size();) {
      const auto end = std::min(path.find('/', start), path.size());
      const std::string_view part(path.data() + start, end - start);
      ok = !part.empty() && part != "." && part != "..";
      start = end + 1;
    }
    if (!ok) {
      root.fail_at(*root.child("pipeline"), "pipeline",
                   "must be a relative path inside the repository (no '..', no leading '/')");
    }
    out.pipeline = path;
  }
  out.image = root.optional_string("image").value_or("");
  if (auto problem = pipelines::image_reference_problem(
          out.image, pipelines::ImageReferenceKind::kRepositoryOnly);
      problem && !out.image.empty()) {
    root.fail_at(*root.child("image"), "image", "\"" + out.image + "\" " + *problem);
  }
  if (auto node = root.child("registry")) {
    MapReader r(*node, root.file(), "registry");
    out.registry_auth = secret_ref(r, "auth");
    if (auto v = r.optional_bool("tls_verify")) out.registry_tls_verify = *v;
    if (auto v = r.optional_bool("branch_tag")) out.registry_branch_tag = *v;
    r.finish();
  }
  if (auto node = root.child("gitops")) {
    MapReader r(*node, root.file(), "gitops");
    out.gitops_url = url_without_credentials(r, "gitops");
    if (auto v = r.optional_string("branch")) out.gitops_branch = *v;
    out.gitops_access = parse_git_access(r);
    refuse_token_in_clear(r, out.gitops_url, out.gitops_access, "gitops");
    // The commit always pins the approved digest (newTag stays for people to read): a tag
    // alone can be moved under an approval.
    if (auto v = r.optional_string("update"); v && *v != "digest") {
      r.fail_at(*r.child("update"), "update",
                "must be digest (the default): a deployment sets newTag and pins digest; newTag "
                "alone would deploy whatever the tag names by then");
    }
    if (auto v = r.optional_string("path")) {
      if (v->starts_with("/") || v->find("..") != std::string::npos ||
          v->find("{environment}") == std::string::npos) {
        r.fail_at(*r.child("path"), "path",
                  "must be a path inside the repository naming {environment}");
      }
      out.gitops_path = *v;
    }
    out.gitops_message =
        r.optional_string("message").value_or(std::string(pipelines::kDefaultCommitMessage));
    if (auto ok = pipelines::check_message_template(out.gitops_message); !ok) {
      r.fail_at(*r.child("message"), "message", ok.error().message);
    }
    if (auto author = r.child("author")) {
      MapReader a = r.nested(*author, r.field("author"));
      out.gitops_author_name = a.required_string("name");
      out.gitops_author_email = a.required_string("email");
      a.finish();
    }
    r.finish();
  }
  parse_environments(root, out);
  parse_rules(root, out);
  parse_approvers(root, out);
  if (auto node = root.child("secrets")) {
    MapReader r(*node, root.file(), "secrets");
    for (const auto& entry : *node) {
      const std::string name = entry.first.Scalar();
      // The name becomes a step's environment variable.
      const bool variable = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                            std::all_of(name.begin(), name.end(), [](unsigned char c) {
                              return std::isalnum(c) || c == '_';
                            });
      if (!variable) {
        r.fail_at(entry.first, name,
                  "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
      }
      if (entry.second.IsMap()) {
        // NAME: {file: F, forks: true}: the long form, to open a secret to forks' pull requests.
        MapReader s = r.nested(entry.second, r.field(name));
        r.child(name);
        auto ref = secret_ref(s, "file");
        if (!ref) s.fail_here("file: is required (a file in secrets_dir)");
        if (s.optional_bool("forks").value_or(false)) out.fork_secrets.insert(name);
        s.finish();
        out.secrets.emplace(name, *ref);
        continue;
      }
      auto ref = secret_ref(r, name);
      if (!ref) r.fail_at(entry.second, name, "must name a file in secrets_dir");
      out.secrets.emplace(name, *ref);
    }
    r.finish();
  }
  if (auto node = root.child("pull_requests")) {
    MapReader r = root.nested(*node, "pull_requests");
    out.fork_network = r.optional_bool("fork_network").value_or(false);
    if (auto v = r.optional_int("max_concurrent_forks", 1, 1024)) {
      out.max_concurrent_forks = static_cast<int>(*v);
    }
    r.finish();
  }
  if (auto node = root.child("flux")) {
    MapReader r(*node, root.file(), "flux");
    out.flux_hmac_key = secret_ref(r, "hmac_key");
    if (auto names = r.child("kustomizations")) {
      MapReader k = r.nested(*names, r.field("kustomizations"));
      for (const auto& entry : *names) {
        const std::string env = entry.first.Scalar();
        if (!out.environment(env)) {
          k.fail_at(entry.first, env, "\"" + env + "\" is not an environment of this project");
        }
        auto name = k.optional_string(env);
        if (!name || name->empty()) {
          k.fail_at(entry.second, env, "must name the environment's Flux Kustomization");
        } else if (auto ref = flux_object_ref(*name)) {
          out.flux_kustomizations[env] = std::move(*ref);
        } else {
          k.fail_at(entry.second, env, ref.error().message);
        }
      }
      k.finish();
    }
    r.finish();
  }
  out.notifications = parse_notification_sinks(root);
  root.finish();
  // An environment a rule deploys to must have a policy that can be satisfied, defaults too:
  // the default prod needs its approvers named before main can map to it.
  for (const auto& rule : out.rules) {
    if (auto ok = pipelines::check_policy(*out.environment(rule.environment)); !ok) {
      root.fail_here("environments." + rule.environment + "." + ok.error().message +
                     " (branches map " + rule.pattern + " to it)");
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> ProjectConfig::environment_of_kustomization(
    std::string_view kube_namespace, std::string_view kustomization) const {
  for (const auto& env : environments) {
    const auto mapped = flux_kustomizations.find(env.name);
    const FluxObjectRef expected =
        mapped != flux_kustomizations.end()
            ? mapped->second
            : FluxObjectRef{std::string(kFluxNamespace), name + "-" + env.name};
    if (expected.kube_namespace == kube_namespace && expected.name == kustomization) {
      return env.name;
    }
  }
  return std::nullopt;
}

const pipelines::Environment* ProjectConfig::environment(std::string_view env_name) const {
  for (const auto& env : environments) {
    if (env.name == env_name) return &env;
  }
  return nullptr;
}

bool is_project_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

Result<ProjectConfig> parse_project_config(std::string_view text,
                                           const std::filesystem::path& file) {
  return pipelines::read_document(text, file.string(),
                                  [&](const YAML::Node& doc) { return parse(doc, file); });
}

}  // namespace juanie::daemon::config
