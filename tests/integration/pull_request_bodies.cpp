#include "integration/pull_request_bodies.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "integration/daemon_fixture.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;

// GitHub's and Gitea's shape: pull_request.{number, head, base}, and the repository.
std::string hub_body(const std::string& file, const PullRequestSpec& spec) {
  json::value doc = json::parse(fixture(file));
  auto& o = doc.as_object();
  o["action"] = spec.action;
  o["number"] = spec.number;
  auto& pr = o["pull_request"].as_object();
  pr["number"] = spec.number;
  auto& head = pr["head"].as_object();
  head["sha"] = spec.sha;
  if (!spec.repository.empty()) {
    pr["base"].as_object()["repo"].as_object()["full_name"] = spec.repository;
    o["repository"].as_object()["full_name"] = spec.repository;
    if (!spec.fork) head["repo"].as_object()["full_name"] = spec.repository;
  }
  return json::serialize(doc);
}

std::string gitlab_body(const PullRequestSpec& spec) {
  json::value doc = json::parse(fixture(spec.fork ? "gitlab-merge-request-fork-update.json"
                                                  : "gitlab-merge-request-open.json"));
  auto& attrs = doc.as_object()["object_attributes"].as_object();
  attrs["action"] = spec.action;
  attrs["iid"] = spec.number;
  attrs["last_commit"].as_object()["id"] = spec.sha;
  if (!spec.repository.empty()) {
    attrs["target"].as_object()["path_with_namespace"] = spec.repository;
    doc.as_object()["project"].as_object()["path_with_namespace"] = spec.repository;
    if (!spec.fork) attrs["source"].as_object()["path_with_namespace"] = spec.repository;
  }
  return json::serialize(doc);
}

}  // namespace

Delivery pull_request_delivery(const std::string& forge, const PullRequestSpec& spec,
                               const std::string& delivery_id) {
  if (forge == "github") {
    std::string body = hub_body(
        spec.fork ? "github-pull-request-fork-synchronize.json" : "github-pull-request-opened.json",
        spec);
    auto headers = github_headers(body, delivery_id, "pull_request");
    return {std::move(body), std::move(headers)};
  }
  if (forge == "gitlab") {
    return {gitlab_body(spec), gitlab_token_headers(delivery_id, "Merge Request Hook")};
  }
  std::string body = hub_body(
      spec.fork ? "gitea-pull-request-fork-synchronized.json" : "gitea-pull-request-opened.json",
      spec);
  // New commits: Gitea says pull_request, and pull_request_sync as the type.
  auto headers =
      gitea_headers(body, delivery_id, "pull_request",
                    spec.action == "synchronized" ? "pull_request_sync" : "pull_request");
  return {std::move(body), std::move(headers)};
}

}  // namespace juanie::test
