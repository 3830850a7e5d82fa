#include "daemon/config/project_config.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::config {
namespace {

// DESIGN.md's example project, verbatim.
const char* kExample = R"(# projects.d/shop-api.yaml — one project
name: shop-api
repo:
  url: https://github.com/acme/shop-api.git
  forge: github                             # github | gitlab | gitea
  webhook_secret: shop-api.webhook          # a file in secrets_dir
pipeline: .juanie.yml
image: registry.example.com/acme/shop-api
registry:
  auth: registry-auth.json                  # a file in secrets_dir
gitops:
  url: git@github.com:acme/shop-api-gitops.git
  branch: main
  ssh_key: gitops.key
environments:                               # defaults shown; omit to take them
  dev:     {namespace: dev, replicas: 1, resources: small, approval: none}
  staging: {namespace: staging, replicas: 2, resources: medium, approval: optional}
  prod:    {namespace: prod, replicas: 3, resources: large, approval: required,
            approvers: [alice, bob], required_approvals: 1}
branches:                                   # first match wins; defaults shown
  - {match: "feature/*", environment: dev}
  - {match: develop, environment: dev}
  - {match: "release/*", environment: staging}
  - {match: main, environment: prod, trigger: manual}
approvers:
  alice: {email: alice@example.com, github: alice-gh, gitlab: asmith}
  bob: {dingtalk: "13800000000"}
secrets:                                    # what a pipeline step may ask for by name
  NPM_TOKEN: shop-api.npm-token             # a file in secrets_dir
flux:
  hmac_key: shop-api.flux                   # verifies /hooks/flux/shop-api (a file in secrets_dir)
)";

const std::string kMinimal =
    "name: app\nrepo: {url: https://x/app.git, forge: gitlab, webhook_secret: app.hook}\n";
const std::string kProdApprover =
    "environments: {prod: {approvers: [alice]}}\napprovers: {alice: {email: a@x}}\n";

Result<ProjectConfig> parse(const std::string& text) {
  return parse_project_config(text, "projects.d/app.yaml");
}

std::string error_of(const std::string& text) {
  auto r = parse(text);
  EXPECT_FALSE(r) << text;
  return r ? "" : r.error().message;
}

TEST(ProjectConfig, TheDocumentedExampleParses) {
  auto p = parse(kExample);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->name, "shop-api");
  EXPECT_EQ(p->forge, Forge::kGithub);
  EXPECT_EQ(p->webhook_secret.file, "shop-api.webhook");
  EXPECT_EQ(p->gitops_branch, "main");
  ASSERT_EQ(p->rules.size(), 4u);
  EXPECT_EQ(p->rules[3].trigger, pipelines::Trigger::kManual);
  const auto* prod = p->environment("prod");
  ASSERT_NE(prod, nullptr);
  EXPECT_EQ(prod->approvers, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(prod->replicas, 3);
  EXPECT_FALSE(prod->allow_self_approval);
  EXPECT_EQ(p->approvers.at("bob").dingtalk, "13800000000");
  EXPECT_EQ(p->approvers.at("alice").logins, (std::map<std::string, std::string, std::less<>>{
                                                 {"github", "alice-gh"}, {"gitlab", "asmith"}}));
  EXPECT_TRUE(p->approvers.at("bob").logins.empty());
  EXPECT_NE(error_of(kMinimal + "environments: {prod: {approvers: [alice]}}\n"
                                "approvers: {alice: {email: a@x, bitbucket: al}}\n")
                .find("approvers.alice.bitbucket"),
            std::string::npos);
  EXPECT_EQ(p->secrets.at("NPM_TOKEN").file, "shop-api.npm-token");
  ASSERT_TRUE(p->flux_hmac_key);
}

TEST(ProjectConfig, DefaultsNeedOnlyProdApprovers) {
  auto p = parse(kMinimal + kProdApprover);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->pipeline, ".juanie.yml");
  EXPECT_EQ(p->rules.size(), 4u);
  EXPECT_EQ(p->environments.size(), 3u);
  EXPECT_EQ(p->environment("staging")->approval, pipelines::Approval::kOptional);
}

// What a failed rollout does, and which Kustomization speaks for which environment.
TEST(ProjectConfig, RollbackPoliciesAndFluxKustomizations) {
  auto p = parse(kMinimal + kProdApprover + "flux: {hmac_key: app.flux}\n");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->environment("dev")->rollback, pipelines::Rollback::kAuto);
  EXPECT_EQ(p->environment("staging")->rollback, pipelines::Rollback::kAuto);
  EXPECT_EQ(p->environment("prod")->rollback, pipelines::Rollback::kManual);
  EXPECT_TRUE(p->environment("prod")->rollback_needs_approval);
  // What `project init` generates: <project>-<environment> in flux-system.
  EXPECT_EQ(p->environment_of_kustomization("flux-system", "app-prod"), "prod");
  EXPECT_EQ(p->environment_of_kustomization("flux-system", "app-qa"), std::nullopt);
  EXPECT_EQ(p->environment_of_kustomization("flux-system", "shop-dev"), std::nullopt);
  // The same name in another namespace (another tenant's, a copy) speaks for nothing here.
  EXPECT_EQ(p->environment_of_kustomization("team-b", "app-prod"), std::nullopt);
  EXPECT_EQ(p->environment_of_kustomization("", "app-prod"), std::nullopt);

  p = parse(kMinimal +
            "environments: {prod: {approvers: [alice], rollback: auto, rollback_approval: none}}\n"
            "approvers: {alice: {email: a@x}}\n"
            "flux: {hmac_key: app.flux, kustomizations: {prod: app-production}}\n");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->environment("prod")->rollback, pipelines::Rollback::kAuto);
  EXPECT_FALSE(p->environment("prod")->rollback_needs_approval);
  EXPECT_EQ(p->environment_of_kustomization("flux-system", "app-production"), "prod");
  EXPECT_EQ(p->environment_of_kustomization("flux-system", "app-prod"), std::nullopt)
      << "mapped away";
  EXPECT_EQ(p->environment_of_kustomization("flux-system", "app-dev"), "dev");
  EXPECT_EQ(p->environment_of_kustomization("apps", "app-production"), std::nullopt);

  // NAMESPACE/NAME: a Kustomization outside flux-system; only that namespace matches.
  p = parse(kMinimal + kProdApprover +
            "flux: {hmac_key: app.flux, kustomizations: {prod: apps/app-production, "
            "dev: team-a/app-dev}}\n");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->environment_of_kustomization("apps", "app-production"), "prod");
  EXPECT_EQ(p->environment_of_kustomization("flux-system", "app-production"), std::nullopt);
  EXPECT_EQ(p->environment_of_kustomization("team-a", "app-dev"), "dev");
  EXPECT_EQ(p->environment_of_kustomization("flux-system", "app-dev"), std::nullopt);
  EXPECT_EQ(p->environment_of_kustomization("flux-system", "app-staging"), "staging");
  EXPECT_EQ(p->flux_kustomizations.at("prod"), (FluxObjectRef{"apps", "app-production"}));

  EXPECT_EQ(
      error_of(kMinimal + "environments: {dev: {rollback: sometimes}, prod: {approvers: [alice]}}\n"
                          "approvers: {alice: {email: a@x}}\n"),
      "projects.d/app.yaml:3: environments.dev.rollback: must be auto or manual");
  EXPECT_NE(
      error_of(kMinimal + "environments: {prod: {approvers: [alice], rollback_approval: never}}\n"
                          "approvers: {alice: {email: a@x}}\n")
          .find("projects.d/app.yaml:3: environments.prod.rollback_approval: must be none"),
      std::string::npos);
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "flux: {hmac_key: k, kustomizations: {qa: x}}\n"),
            "projects.d/app.yaml:5: flux.kustomizations.qa: \"qa\" is not an environment of this "
            "project");
  EXPECT_EQ(
      error_of(kMinimal + kProdApprover + "flux: {hmac_key: k, kustomizations: {dev: \"\"}}\n"),
      "projects.d/app.yaml:5: flux.kustomizations.dev: must name the environment's Flux "
      "Kustomization");
  EXPECT_EQ(error_of(kMinimal + kProdApprover +
                     "flux: {hmac_key: k, kustomizations: {dev: Flux_System/app-dev}}\n"),
            "projects.d/app.yaml:5: flux.kustomizations.dev: \"Flux_System\" is not a Kubernetes "
            "namespace (lowercase letters, digits and '-'; write NAME or NAMESPACE/NAME)");
  EXPECT_EQ(
      error_of(kMinimal + kProdApprover + "flux: {hmac_key: k, kustomizations: {dev: /app-dev}}\n"),
      "projects.d/app.yaml:5: flux.kustomizations.dev: \"\" is not a Kubernetes "
      "namespace (lowercase letters, digits and '-'; write NAME or NAMESPACE/NAME)");
  for (const char* bad : {"apps/", "apps/x/y"}) {
    EXPECT_EQ(error_of(kMinimal + kProdApprover +
                       "flux: {hmac_key: k, kustomizations: {dev: " + bad + "}}\n"),
              "projects.d/app.yaml:5: flux.kustomizations.dev: must be NAME or NAMESPACE/NAME of "
              "the environment's Flux Kustomization")
        << bad;
  }
}

TEST(ProjectConfig, ProdReachedByAnyRuleNeedsApprovers) {
  EXPECT_EQ(error_of(kMinimal),
            "projects.d/app.yaml:1: environments.prod.approvers: prod requires approval; name at "
            "least one approver (branches map main to it)");
  // A project whose rules never reach prod does not need approvers.
  EXPECT_TRUE(parse(kMinimal + "branches:\n  - {match: \"**\", environment: dev}\n"));
}

TEST(ProjectConfig, ProdApprovalCannotBeTurnedOff) {
  EXPECT_EQ(error_of(kMinimal + "environments:\n  prod: {approval: none}\n"),
            "projects.d/app.yaml:4: environments.prod: approval: prod always requires approval; "
            "it cannot be \"none\"");
  EXPECT_NE(
      error_of(kMinimal + "environments:\n  prod: {approvers: [alice], required_approvals: 0}\n"
                          "approvers: {alice: {}}\n")
          .find("required_approvals: an environment that requires approval needs at least 1"),
      std::string::npos);
}

TEST(ProjectConfig, ErrorsNameFileLineAndField) {
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "imagee: x\n"),
            "projects.d/app.yaml:5: imagee: unknown key");
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "image: \"--privileged\"\n"),
            "projects.d/app.yaml:5: image: \"--privileged\" must not start with '-'");
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "image: registry.example.com/acme/app:v1\n"),
            "projects.d/app.yaml:5: image: \"registry.example.com/acme/app:v1\" must be a "
            "repository without a tag (Juanie adds the tag)");
  EXPECT_EQ(error_of("name: app\nrepo: {url: u, forge: bitbucket, webhook_secret: s}\n"),
            "projects.d/app.yaml:2: repo.forge: must be github, gitlab or gitea");
  EXPECT_EQ(error_of("name: App!\nrepo: {url: u, forge: github, webhook_secret: s}\n"),
            "projects.d/app.yaml:1: name: \"App!\" must be lowercase letters, digits, '.', '_' or "
            "'-'");
  EXPECT_EQ(error_of("name: app\nrepo: {url: u, forge: github, webhook_secret: ../x}\n"),
            "projects.d/app.yaml:2: repo.webhook_secret: \"../x\" must be a file name inside "
            "secrets_dir, without directories");
  EXPECT_EQ(error_of("name: app\nrepo: {url: u, forge: github}\n"),
            "projects.d/app.yaml:2: repo: webhook_secret: is required (a file in secrets_dir)");
  EXPECT_EQ(error_of(kMinimal + "branches:\n  - {match: develop, environment: qa}\n"),
            "projects.d/app.yaml:4: branches[0].environment: \"qa\" is not an environment of this "
            "project");
  EXPECT_EQ(
      error_of(kMinimal + "branches:\n  - {match: develop, tag: v*, environment: dev}\n"),
      "projects.d/app.yaml:4: branches[0]: needs exactly one of match (a branch glob) or tag");
  EXPECT_EQ(error_of(kMinimal + "environments: {prod: {approvers: [carol]}}\n"),
            "projects.d/app.yaml:1: environments.prod.approvers: \"carol\" is not listed under "
            "approvers");
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "environments2: {}\n"),
            "projects.d/app.yaml:5: environments2: unknown key");
  EXPECT_EQ(error_of("name: app\nrepo: {url: \"https://bot:ghp_x@github.com/a/b.git\", forge: "
                     "github, webhook_secret: s}\n"),
            "projects.d/app.yaml:2: repo.url: must not carry credentials (they would be in logs "
            "and the database); put the token in a file in secrets_dir and name it as repo.token "
            "(and the user, if the forge needs one, as repo.username)");
  EXPECT_EQ(error_of(kMinimal + kProdApprover +
                     "gitops: {url: \"https://ci:glpat-x@gitlab.example.com/ops.git\"}\n"),
            "projects.d/app.yaml:5: gitops.url: must not carry credentials (they would be in logs "
            "and the database); put the token in a file in secrets_dir and name it as "
            "gitops.token (and the user, if the forge needs one, as gitops.username)");
  // A token works as the user name over HTTPS: no userinfo there at all.
  EXPECT_EQ(error_of(kMinimal + kProdApprover +
                     "gitops: {url: \"https://ghp_x@github.com/acme/ops.git\"}\n"),
            "projects.d/app.yaml:5: gitops.url: must not carry credentials (they would be in logs "
            "and the database); put the token in a file in secrets_dir and name it as "
            "gitops.token (and the user, if the forge needs one, as gitops.username)");
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "secrets: {\"NPM TOKEN\": npm}\n"),
            "projects.d/app.yaml:5: secrets.NPM TOKEN: must be an environment variable name "
            "([A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "secrets: {1TOKEN: npm}\n"),
            "projects.d/app.yaml:5: secrets.1TOKEN: must be an environment variable name "
            "([A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(error_of(kMinimal + "environments:\n  dev: {replicas: many}\n" + "approvers: {}\n"),
            "projects.d/app.yaml:4: environments.dev.replicas: must be a whole number");
}

TEST(ProjectConfig, SecretsOpenedToForksAndForkNetwork) {
  auto p = parse(kMinimal + kProdApprover +
                 "secrets:\n  NPM_TOKEN: npm\n  CODECOV: {file: codecov, forks: true}\n"
                 "  SONAR: {file: sonar, forks: false}\npull_requests: {fork_network: true}\n");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->secrets.at("NPM_TOKEN").file, "npm");
  EXPECT_EQ(p->secrets.at("CODECOV").file, "codecov");
  EXPECT_EQ(p->secrets.at("SONAR").file, "sonar");
  EXPECT_EQ(p->fork_secrets, (std::set<std::string>{"CODECOV"}));
  EXPECT_TRUE(p->fork_network);
  auto defaults = parse(kMinimal + kProdApprover);
  ASSERT_TRUE(defaults);
  EXPECT_FALSE(defaults->fork_network);
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "secrets:\n  CODECOV: {forks: true}\n"),
            "projects.d/app.yaml:6: secrets.CODECOV: file: is required (a file in secrets_dir)");
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "secrets:\n  CODECOV: {file: c, fork: true}\n"),
            "projects.d/app.yaml:6: secrets.CODECOV.fork: unknown key");
  EXPECT_EQ(
      error_of(kMinimal + kProdApprover + "secrets:\n  CODECOV: {file: c, forks: yes please}\n"),
      "projects.d/app.yaml:6: secrets.CODECOV.forks: must be true or false");
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "pull_requests: {fork_net: true}\n"),
            "projects.d/app.yaml:5: pull_requests.fork_net: unknown key");
}

// The pipeline path is looked up in the commit's tree as git stores it: what could name
// something outside the repository, or never match, is an error when the file loads.
TEST(ProjectConfig, ThePipelinePathIsARelativePathInTheRepository) {
  for (const char* bad :
       {"/etc/passwd", "../x.yml", "ci/../x.yml", "ci//x.yml", "ci/./x.yml", "ci/", "./"}) {
    EXPECT_EQ(error_of(kMinimal + kProdApprover + "pipeline: \"" + bad + "\"\n"),
              "projects.d/app.yaml:5: pipeline: must be a relative path inside the repository "
              "(no '..', no leading '/')")
        << bad;
  }
  auto ok = parse(kMinimal + kProdApprover + "pipeline: ./ci/juanie.yml\n");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->pipeline, "ci/juanie.yml");
}

// Found by fuzz_project_config: keys without values used to be dereferenced as if present.
TEST(ProjectConfig, KeysWithoutValuesAreErrorsOrDefaults) {
  EXPECT_EQ(error_of("name: app\nrepo: {url: u, forge: github, webhook_secret: }\n"),
            "projects.d/app.yaml:2: repo: webhook_secret: is required (a file in secrets_dir)");
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "secrets: {NPM_TOKEN: }\n"),
            "projects.d/app.yaml:5: secrets.NPM_TOKEN: must name a file in secrets_dir");
  auto p = parse(kMinimal +
                 "environments:\n  dev:\n  prod: {approvers: [alice]}\napprovers:\n  alice:\n");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->environment("dev")->replicas, 1);
  EXPECT_EQ(p->approvers.at("alice").email, "");
  EXPECT_EQ(error_of(kMinimal +
                     "environments: {prod: {approvers: [alice]}}\napprovers:\n  ? [x]\n  : {}\n"),
            "projects.d/app.yaml:5: approvers.: an approver needs a name");
}

TEST(ProjectConfig, CustomEnvironmentsAndTagRules) {
  auto p = parse(kMinimal + kProdApprover +
                 "branches:\n"
                 "  - {tag: \"v*\", environment: prod, trigger: manual}\n"
                 "  - {match: \"feature/**\", environment: preview}\n"
                 "environments2: null\n");
  EXPECT_FALSE(p);
  auto q =
      parse(kMinimal +
            "environments:\n  prod: {approvers: [alice]}\n  preview: {namespace: pr, replicas: 1}\n"
            "approvers: {alice: {email: a@x}}\n"
            "branches:\n"
            "  - {tag: \"v*\", environment: prod, trigger: manual}\n"
            "  - {match: \"feature/**\", environment: preview}\n");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->rules[0].kind, pipelines::RefKind::kTag);
  EXPECT_EQ(q->environment("preview")->kube_namespace, "pr");
  EXPECT_EQ(q->environment("preview")->approval, pipelines::Approval::kNone);
}

// Commit statuses need a token; the API and the repository path must be known when it loads,
// not at the first status.
TEST(ProjectConfig, CommitStatusSettings) {
  auto off = parse(kMinimal + kProdApprover);
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->status_token);
  auto on = parse(
      "name: app\nrepo: {url: \"git@gitlab.example.com:group/sub/app.git\", forge: gitlab, "
      "webhook_secret: app.hook, status_token: app.status, api_url: "
      "\"https://gitlab.example.com/\", status_context: ci/app}\n" +
      kProdApprover);
  ASSERT_TRUE(on) << on.error().message;
  EXPECT_EQ(on->status_token->file, "app.status");
  EXPECT_EQ(on->status_api_url, "https://gitlab.example.com/");
  EXPECT_EQ(on->status_context, "ci/app");

  const std::string repo = "name: app\nrepo: {forge: github, webhook_secret: s, ";
  EXPECT_EQ(error_of(repo + "url: /srv/git/app.git, status_token: t}\n"),
            "projects.d/app.yaml:2: repo.url: names no owner/repository path, which commit "
            "statuses (status_token) need");
  EXPECT_EQ(error_of(repo + "url: https://x/a/b.git, api_url: ftp://x}\n"),
            "projects.d/app.yaml:2: repo.api_url: must be an http:// or https:// URL");
  EXPECT_EQ(error_of(repo + "url: https://x/a/b.git, status_context: \"\"}\n"),
            "projects.d/app.yaml:2: repo.status_context: must be 1 to 255 printable characters");
  EXPECT_EQ(error_of(repo + "url: https://x/a/b.git, status_token: ../t}\n"),
            "projects.d/app.yaml:2: repo.status_token: \"../t\" must be a file name inside "
            "secrets_dir, without directories");
  EXPECT_EQ(error_of(repo + "url: https://x/a/b.git, status_tokn: t}\n"),
            "projects.d/app.yaml:2: repo.status_tokn: unknown key");
}

// repo.depth and repo.filter: a shallow or partial mirror; anything git would take but the
// daemon cannot serve (a tree filter, a depth of 0) is refused at the line that says it.
TEST(ProjectConfig, ShallowAndPartialFetchSettings) {
  auto whole = parse(kMinimal + kProdApprover);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_TRUE(whole->repo_fetch.whole());
  const std::string repo =
      "name: app\nrepo: {url: https://x/a/b.git, forge: github, "
      "webhook_secret: s, ";
  auto shaped = parse(repo + "depth: 50, filter: \"blob:limit=1m\"}\n" + kProdApprover);
  ASSERT_TRUE(shaped) << shaped.error().message;
  EXPECT_EQ(shaped->repo_fetch, (pipelines::FetchShape{50, "blob:limit=1m"}));
  EXPECT_EQ(error_of(repo + "depth: 0}\n"),
            "projects.d/app.yaml:2: repo.depth: must be between 1 and 1000000");
  EXPECT_EQ(error_of(repo + "depth: many}\n"),
            "projects.d/app.yaml:2: repo.depth: must be a whole number");
  EXPECT_EQ(error_of(repo + "filter: \"tree:0\"}\n"),
            "projects.d/app.yaml:2: repo.filter: must be blob:none or blob:limit=<size> (a number "
            "with an optional k, m or g)");
  EXPECT_EQ(error_of("name: app\nrepo:\n  url: https://x/a/b.git\n  forge: github\n"
                     "  webhook_secret: s\n  filter: \"blob:limit=1kb\"\n"),
            "projects.d/app.yaml:6: repo.filter: must be blob:none or blob:limit=<size> (a number "
            "with an optional k, m or g)");
}

// The status token goes in a header of every request to api_url: never to a URL that holds
// credentials of its own (they would be logged), never in clear beyond this machine.
TEST(ProjectConfig, ApiUrlRefusesCredentialsAndPlainHttpBeyondLoopback) {
  const std::string repo =
      "name: app\nrepo: {url: https://git.example.com/a/b.git, forge: gitea, webhook_secret: s, "
      "status_token: t,\n  api_url: ";
  const std::string credentials =
      "projects.d/app.yaml:3: repo.api_url: must not carry credentials (they would be in logs "
      "and the database); the token belongs in a file in secrets_dir named as repo.status_token";
  EXPECT_EQ(error_of(repo + "\"https://bot:s3cret@git.example.com\"}\n"), credentials);
  EXPECT_EQ(error_of(repo + "\"https://ghp_x@api.github.com\"}\n"), credentials);
  EXPECT_EQ(error_of(repo + "\"http://u:p@127.0.0.1:3000\"}\n"), credentials);
  const std::string clear =
      "projects.d/app.yaml:3: repo.api_url: must be https:// (plain http:// would send "
      "repo.status_token in clear; it is allowed only to a loopback host)";
  for (const char* url :
       {"http://git.example.com", "http://10.0.0.7:3000/", "http://127.0.0.1.example.com/",
        "http://127.1/", "http://0x7f.0.0.1/", "http://128.0.0.1/", "http://[::2]:3000",
        "http://localhost.example.com", "http://127.0.0.256/", "http://example.com/127.0.0.1"}) {
    EXPECT_EQ(error_of(repo + "\"" + url + "\"}\n"), clear) << url;
  }
  // Refused even without a status token: the setting would wait, wrong, for the day one is set.
  EXPECT_EQ(error_of("name: app\nrepo: {url: https://git.example.com/a/b.git, forge: gitea, "
                     "webhook_secret: s,\n  api_url: \"http://git.example.com\"}\n"),
            clear);

  for (const char* url : {"https://git.example.com", "https://git.example.com:8443/gitea/",
                          "http://127.0.0.1:3000", "http://127.12.0.9/", "http://localhost:8080/",
                          "http://LocalHost", "http://[::1]:3000/", "http://127.0.0.1"}) {
    auto p = parse(repo + "\"" + url + "\"}\n" + kProdApprover);
    ASSERT_TRUE(p) << url << ": " << p.error().message;
    EXPECT_EQ(p->status_api_url, url);
  }
}

// GitLab's and Gitea's status API defaults to the repository URL's host: an http:// URL would
// carry repo.status_token in clear as surely as an http:// api_url.
TEST(ProjectConfig, AStatusApiBaseTakenFromAPlainHttpUrlIsRefused) {
  EXPECT_EQ(error_of("name: app\nrepo: {url: \"http://git.example.com/group/app.git\", forge: "
                     "gitea, webhook_secret: s, status_token: t}\n"),
            "projects.d/app.yaml:2: repo.url: is plain http://, so commit statuses would send "
            "repo.status_token in clear; set an https:// repo.api_url");
  for (const char* repo :
       {"url: \"http://git.example.com/group/app.git\", forge: gitea, webhook_secret: s, "
        "status_token: t, api_url: \"https://git.example.com\"",
        "url: \"http://127.0.0.1:3000/group/app.git\", forge: gitlab, webhook_secret: s, "
        "status_token: t",
        "url: \"http://git.example.com/group/app.git\", forge: gitea, webhook_secret: s"}) {
    auto p = parse("name: app\nrepo: {" + std::string(repo) + "}\n" + kProdApprover);
    EXPECT_TRUE(p) << repo << ": " << p.error().message;
  }
}

// A git token goes in every fetch or push as HTTP basic authentication: never over plain http
// beyond loopback. Without a token plain http is the operator's choice (a public mirror).
TEST(ProjectConfig, AGitTokenIsNeverSentOverPlainHttpBeyondLoopback) {
  auto repo = [](const std::string& url, const std::string& extra) {
    return "name: app\nrepo: {url: \"" + url + "\", forge: gitlab, webhook_secret: app.hook" +
           extra + "}\n" + kProdApprover;
  };
  EXPECT_EQ(error_of(repo("http://git.example.com/a/app.git", ", token: app.git")),
            "projects.d/app.yaml:2: repo.url: must be https:// when repo.token is set (plain "
            "http:// would send the token in clear; it is allowed only to a loopback host)");
  EXPECT_NE(error_of(repo("HTTP://git.example.com/a/app.git", ", token: app.git")), "")
      << "the scheme is read in any case";
  for (const auto& [url, extra] : std::vector<std::pair<std::string, std::string>>{
           {"http://git.example.com/a/app.git", ""},
           {"http://127.0.0.1:8080/a/app.git", ", token: app.git"},
           {"https://git.example.com/a/app.git", ", token: app.git"}}) {
    auto p = parse(repo(url, extra));
    EXPECT_TRUE(p) << url << extra << ": " << p.error().message;
  }
  EXPECT_EQ(error_of(kMinimal + kProdApprover +
                     "gitops: {url: \"http://git.example.com/ops.git\", token: ops.git}\n"),
            "projects.d/app.yaml:5: gitops.url: must be https:// when gitops.token is set (plain "
            "http:// would send the token in clear; it is allowed only to a loopback host)");
}

// A stranger's fork pull requests have places of their own in the project: 2 unless set.
TEST(ProjectConfig, MaxConcurrentForks) {
  auto defaults = parse(kMinimal + kProdApprover);
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->max_concurrent_forks, 2);
  auto set = parse(kMinimal + kProdApprover +
                   "pull_requests: {fork_network: true, max_concurrent_forks: 5}\n");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->max_concurrent_forks, 5);
  EXPECT_TRUE(set->fork_network);
  // Zero would hold every fork's run forever: refused, as is a typo.
  EXPECT_NE(error_of(kMinimal + kProdApprover + "pull_requests: {max_concurrent_forks: 0}\n")
                .find("projects.d/app.yaml:5: pull_requests.max_concurrent_forks"),
            std::string::npos);
  EXPECT_EQ(error_of(kMinimal + kProdApprover + "pull_requests: {max_concurrent_fork: 1}\n"),
            "projects.d/app.yaml:5: pull_requests.max_concurrent_fork: unknown key");
}

}  // namespace
}  // namespace juanie::daemon::config
