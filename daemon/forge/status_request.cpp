#include "daemon/forge/status_request.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace juanie::daemon::forge {

using pipelines::StatusApi;

http::ClientRequest status_request(const StatusEndpoint& endpoint, const StatusBody& body) {
  http::ClientRequest request;
  request.method = "POST";
  request.url =
      pipelines::status_url(endpoint.api, endpoint.api_base, endpoint.repo_path, body.sha);
  boost::json::object json;
  json["state"] = body.state;
  if (!body.target_url.empty()) json["target_url"] = body.target_url;
  json["description"] = body.description;
  json[endpoint.api == StatusApi::kGitlab ? "name" : "context"] = body.context;
  request.body = boost::json::serialize(json);
  request.headers = {{"Content-Type", "application/json"}, {"User-Agent", "juanie"}};
  switch (endpoint.api) {
    case StatusApi::kGithub:
      request.headers.emplace_back("Accept", "application/vnd.github+json");
      request.headers.emplace_back("Authorization", "Bearer " + endpoint.token);
      request.headers.emplace_back("X-GitHub-Api-Version", "2022-11-28");
      break;
    case StatusApi::kGitlab:
      request.headers.emplace_back("Accept", "application/json");
      request.headers.emplace_back("PRIVATE-TOKEN", endpoint.token);
      break;
    case StatusApi::kGitea:
      request.headers.emplace_back("Accept", "application/json");
      request.headers.emplace_back("Authorization", "token " + endpoint.token);
      break;
  }
  return request;
}

}  // namespace juanie::daemon::forge
