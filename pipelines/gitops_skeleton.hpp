#pragma once

#include <string>
#include <vector>

#include "pipelines/environment.hpp"

namespace juanie::pipelines {

// What a new project's GitOps repository is generated from.
struct SkeletonSpec {
  std::string project;     // also the Deployment's and Service's name
  std::string image;       // registry/name, without a tag
  std::string gitops_url;  // where Flux reads the repository
  std::string branch = "main";
  std::string hooks_url;  // the daemon's public URL: alerts go to <hooks_url>/hooks/flux/<project>
  int port = 8080;        // the container's port
  std::vector<Environment> environments = default_environments();
};

struct GeneratedFile {
  std::string path;  // relative to the repository root
  std::string text;
};

// The repository as the platform lays it out: base/ (Deployment, Service, kustomization),
// overlays/<env>/ (namespace, replicas, resource requests and limits, the images: entry the
// daemon rewrites) and flux/ (the GitRepository, a Kustomization per environment, and the
// generic-hmac Provider and Alert that report back to the daemon). Pure.
std::vector<GeneratedFile> gitops_skeleton(const SkeletonSpec& spec);

// A starter pipeline and Dockerfile for the application repository.
std::vector<GeneratedFile> application_starter(const SkeletonSpec& spec);

// The project file for projects.d/<project>.yaml.
std::string project_file(const SkeletonSpec& spec, const std::string& repo_url,
                         const std::string& forge);

}  // namespace juanie::pipelines
