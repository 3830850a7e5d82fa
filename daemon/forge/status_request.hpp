#pragma once

#include <string>

#include "daemon/http/client.hpp"
#include "pipelines/commit_status.hpp"

namespace juanie::daemon::forge {

// Where a project's statuses go, resolved from its configuration.
struct StatusEndpoint {
  pipelines::StatusApi api = pipelines::StatusApi::kGithub;
  std::string api_base;   // https://api.github.com, https://gitlab.example.com, ...
  std::string repo_path;  // acme/shop-api, group/sub/project
  std::string token;
};

struct StatusBody {
  std::string sha;
  std::string state;  // the forge's word (pipelines::forge_state)
  std::string target_url;
  std::string description;
  std::string context;
};

// The POST each forge documents: GitHub with `Authorization: Bearer`, `Accept:
// application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28` and {state, target_url,
// description, context}; GitLab with `PRIVATE-TOKEN` and {state, target_url, description,
// name}; Gitea/Forgejo with `Authorization: token` and {state, target_url, description,
// context}. An empty target_url is left out (GitHub refuses "" as a URL).
http::ClientRequest status_request(const StatusEndpoint& endpoint, const StatusBody& body);

}  // namespace juanie::daemon::forge
