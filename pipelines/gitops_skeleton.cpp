#include "pipelines/gitops_skeleton.hpp"

namespace juanie::pipelines {
namespace {

struct Sizes {
  const char* request_cpu;
  const char* request_memory;
  const char* limit_cpu;
  const char* limit_memory;
};

Sizes sizes(const std::string& resources) {
  if (resources == "large") return {"500m", "512Mi", "2", "1Gi"};
  if (resources == "medium") return {"250m", "256Mi", "1", "512Mi"};
  return {"100m", "128Mi", "500m", "256Mi"};
}

// YAML double-quoted, for values that come from the user.
std::string q(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string overlay(const SkeletonSpec& s, const Environment& env) {
  const Sizes z = sizes(env.resources);
  return "# " + env.name + ": namespace " + env.kube_namespace + ", " +
         std::to_string(env.replicas) + " replica(s), " + env.resources +
         " resources.\n"
         "# juanie sets newTag and pins digest below on each deployment; leave the rest to "
         "people.\n"
         "apiVersion: kustomize.config.k8s.io/v1beta1\n"
         "kind: Kustomization\n"
         "namespace: " +
         env.kube_namespace +
         "\n"
         "resources:\n"
         "  - namespace.yaml\n"
         "  - ../../base\n"
         "replicas:\n"
         "  - name: " +
         s.project +
         "\n"
         "    count: " +
         std::to_string(env.replicas) +
         "\n"
         "patches:\n"
         "  - target:\n"
         "      kind: Deployment\n"
         "      name: " +
         s.project +
         "\n"
         "    patch: |-\n"
         "      - op: replace\n"
         "        path: /spec/template/spec/containers/0/resources\n"
         "        value:\n"
         "          requests: {cpu: " +
         z.request_cpu + ", memory: " + z.request_memory +
         "}\n"
         "          limits: {cpu: \"" +
         z.limit_cpu + "\", memory: " + z.limit_memory +
         "}\n"
         "images:\n"
         "  - name: " +
         q(s.image) +
         "\n"
         "    newTag: latest\n";
}

}  // namespace

std::vector<GeneratedFile> gitops_skeleton(const SkeletonSpec& s) {
  std::vector<GeneratedFile> files;
  const std::string port = std::to_string(s.port);
  files.push_back({"base/deployment.yaml",
                   "apiVersion: apps/v1\n"
                   "kind: Deployment\n"
                   "metadata:\n"
                   "  name: " +
                       s.project +
                       "\n"
                       "  labels: {app.kubernetes.io/name: " +
                       s.project +
                       "}\n"
                       "spec:\n"
                       "  replicas: 1\n"
                       "  selector:\n"
                       "    matchLabels: {app.kubernetes.io/name: " +
                       s.project +
                       "}\n"
                       "  template:\n"
                       "    metadata:\n"
                       "      labels: {app.kubernetes.io/name: " +
                       s.project +
                       "}\n"
                       "    spec:\n"
                       "      containers:\n"
                       "        - name: " +
                       s.project +
                       "\n"
                       "          image: " +
                       q(s.image) +
                       "\n"
                       "          ports:\n"
                       "            - {name: http, containerPort: " +
                       port +
                       "}\n"
                       "          readinessProbe:\n"
                       "            tcpSocket: {port: http}\n"
                       "          resources: {}\n"});
  files.push_back({"base/service.yaml",
                   "apiVersion: v1\n"
                   "kind: Service\n"
                   "metadata:\n"
                   "  name: " +
                       s.project +
                       "\n"
                       "  labels: {app.kubernetes.io/name: " +
                       s.project +
                       "}\n"
                       "spec:\n"
                       "  selector: {app.kubernetes.io/name: " +
                       s.project +
                       "}\n"
                       "  ports:\n"
                       "    - {name: http, port: 80, targetPort: http}\n"});
  files.push_back({"base/kustomization.yaml",
                   "apiVersion: kustomize.config.k8s.io/v1beta1\n"
                   "kind: Kustomization\n"
                   "resources:\n"
                   "  - deployment.yaml\n"
                   "  - service.yaml\n"});
  std::string flux_resources = "  - gitrepository.yaml\n";
  std::string alert_sources;
  for (const auto& env : s.environments) {
    files.push_back(
        {"overlays/" + env.name + "/namespace.yaml",
         "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + env.kube_namespace + "\n"});
    files.push_back({"overlays/" + env.name + "/kustomization.yaml", overlay(s, env)});
    const std::string name = s.project + "-" + env.name;
    files.push_back({"flux/kustomization-" + env.name + ".yaml",
                     "apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
                     "kind: Kustomization\n"
                     "metadata:\n"
                     "  name: " +
                         name +
                         "\n"
                         "  namespace: flux-system\n"
                         "spec:\n"
                         "  interval: 1m\n"
                         "  path: ./overlays/" +
                         env.name +
                         "\n"
                         "  prune: true\n"
                         "  wait: true\n"
                         "  timeout: 5m\n"
                         "  sourceRef:\n"
                         "    kind: GitRepository\n"
                         "    name: " +
                         s.project + "-gitops\n"});
    flux_resources += "  - kustomization-" + env.name + ".yaml\n";
    alert_sources += "    - {kind: Kustomization, name: " + name + "}\n";
  }
  files.push_back({"flux/gitrepository.yaml",
                   "apiVersion: source.toolkit.fluxcd.io/v1\n"
                   "kind: GitRepository\n"
                   "metadata:\n"
                   "  name: " +
                       s.project +
                       "-gitops\n"
                       "  namespace: flux-system\n"
                       "spec:\n"
                       "  interval: 1m\n"
                       "  url: " +
                       q(s.gitops_url) +
                       "\n"
                       "  ref:\n"
                       "    branch: " +
                       q(s.branch) +
                       "\n"
                       "  # For a private repository: a Secret with the deploy key or token.\n"
                       "  # secretRef: {name: " +
                       s.project + "-gitops-auth}\n"});
  files.push_back({"flux/notification.yaml",
                   "# Flux reports each Kustomization's events to juanie, signed with the key in\n"
                   "# the Secret " +
                       s.project +
                       "-juanie-hmac (key: token) — the same key as the\n"
                       "# project's flux.hmac_key file.\n"
                       "apiVersion: notification.toolkit.fluxcd.io/v1beta3\n"
                       "kind: Provider\n"
                       "metadata:\n"
                       "  name: " +
                       s.project +
                       "-juanie\n"
                       "  namespace: flux-system\n"
                       "spec:\n"
                       "  type: generic-hmac\n"
                       "  address: " +
                       q(s.hooks_url + "/hooks/flux/" + s.project) +
                       "\n"
                       "  secretRef:\n"
                       "    name: " +
                       s.project +
                       "-juanie-hmac\n"
                       "---\n"
                       "apiVersion: notification.toolkit.fluxcd.io/v1beta3\n"
                       "kind: Alert\n"
                       "metadata:\n"
                       "  name: " +
                       s.project +
                       "-juanie\n"
                       "  namespace: flux-system\n"
                       "spec:\n"
                       "  providerRef:\n"
                       "    name: " +
                       s.project +
                       "-juanie\n"
                       "  eventSeverity: info\n"
                       "  eventSources:\n" +
                       alert_sources});
  flux_resources += "  - notification.yaml\n";
  files.push_back({"flux/kustomization.yaml",
                   "# kubectl apply -k flux/  (once, with Flux installed in flux-system)\n"
                   "apiVersion: kustomize.config.k8s.io/v1beta1\n"
                   "kind: Kustomization\n"
                   "resources:\n" +
                       flux_resources});
  return files;
}

std::vector<GeneratedFile> application_starter(const SkeletonSpec& s) {
  return {
      {".juanie.yml",
       "# juanie's pipeline: steps run in order in a sandbox; after they pass, the image below\n"
       "# is built, pushed as " +
           s.image +
           ":<short commit> and deployed.\n"
           "steps:\n"
           "  - name: test\n"
           "    commands: [\"echo add your tests here\"]\n"
           "image:\n"
           "  dockerfile: Dockerfile\n"
           "  context: .\n"},
      {"Dockerfile",
       "FROM docker.io/library/debian:12-slim\n"
       "COPY . /app\n"
       "WORKDIR /app\n"
       "EXPOSE " +
           std::to_string(s.port) +
           "\n"
           "CMD [\"sh\", \"-c\", \"echo replace this with your server && sleep infinity\"]\n"}};
}

std::string project_file(const SkeletonSpec& s, const std::string& repo_url,
                         const std::string& forge) {
  return "# projects.d/" + s.project +
         ".yaml — written by juanie project init\n"
         "name: " +
         s.project +
         "\n"
         "repo:\n"
         "  url: " +
         q(repo_url) +
         "\n"
         "  forge: " +
         forge +
         "\n"
         "  webhook_secret: " +
         s.project +
         ".webhook   # a file in secrets_dir\n"
         "image: " +
         q(s.image) +
         "\n"
         "gitops:\n"
         "  url: " +
         q(s.gitops_url) +
         "\n"
         "  branch: " +
         q(s.branch) +
         "\n"
         "environments:\n"
         "  prod: {approvers: [" +
         s.project +
         "-owner]}\n"
         "approvers:\n"
         "  " +
         s.project +
         "-owner: {email: owner@example.com}   # name the real approvers\n"
         "flux:\n"
         "  hmac_key: " +
         s.project + ".flux   # a file in secrets_dir\n";
}

}  // namespace juanie::pipelines
