#include "daemon/notify/status_sender.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "daemon/config/loader.hpp"
#include "daemon/forge/status_request.hpp"

namespace juanie::daemon::notify {
namespace {

namespace json = boost::json;
using pipelines::StatusAnswer;

struct Payload {
  std::string project;
  std::int64_t run = 0;
  std::optional<std::int64_t> deployment;
  std::string sha;
  std::string state;
  std::string reason;
  bool step_failed = false;
  bool pull_request = false;  // a pull request's run: reported under `<context>/pr`
  std::string environment;
};

std::string text_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

std::optional<Payload> parse_payload(const std::string& text) {
  std::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  Payload p;
  p.project = text_at(o, "project");
  p.sha = text_at(o, "sha");
  p.state = text_at(o, "state");
  p.reason = text_at(o, "reason");
  p.environment = text_at(o, "environment");
  if (const auto* run = o.if_contains("run"); run && run->is_int64()) p.run = run->as_int64();
  if (const auto* d = o.if_contains("deployment"); d && d->is_int64()) p.deployment = d->as_int64();
  if (const auto* f = o.if_contains("step_failed"); f && f->is_bool()) p.step_failed = f->as_bool();
  if (const auto* f = o.if_contains("pull_request"); f && f->is_bool()) {
    p.pull_request = f->as_bool();
  }
  if (p.project.empty() || p.sha.empty() || p.state.empty()) return std::nullopt;
  return p;
}

std::optional<pipelines::CommitStatus> verdict_of(const Payload& p) {
  if (p.deployment) {
    auto state = pipelines::parse_deployment_state(p.state);
    if (!state) return std::nullopt;
    return pipelines::deployment_status(*state, p.environment);
  }
  auto state = pipelines::parse_run_state(p.state);
  if (!state) return std::nullopt;
  return pipelines::run_status(*state, p.step_failed, p.reason);
}

StatusOutcome refused(std::string detail, bool off = false) {
  return StatusOutcome{StatusAnswer::kRefused, std::move(detail), std::nullopt, off};
}

}  // namespace

StatusSubject status_subject(const std::string& payload) {
  auto p = parse_payload(payload);
  return p ? StatusSubject{p->project, p->run} : StatusSubject{};
}

StatusOutcome StatusSender::send(const store::OutboxMessage& m) const {
  const auto payload = parse_payload(m.payload);
  if (!payload) return refused("unreadable outbox message");
  const auto projects = projects_ ? projects_->get() : nullptr;
  const auto it =
      projects ? projects->find(payload->project) : config::ProjectMap::const_iterator{};
  if (!projects || it == projects->end() || !it->second->config.status_token) {
    return refused("project " + payload->project + " reports no commit statuses", true);
  }
  const config::ProjectConfig& project = it->second->config;
  const auto status = verdict_of(*payload);
  if (!status) return refused("unknown state \"" + payload->state + "\"");

  auto token = config::read_secret(daemon_.secrets_dir, *project.status_token);
  // The file may come back (a credential being rotated): worth another attempt.
  if (!token) return StatusOutcome{StatusAnswer::kRetry, token.error().message, std::nullopt};
  forge::StatusEndpoint endpoint;
  endpoint.api = status_api(project.forge);
  endpoint.api_base = project.status_api_url.empty()
                          ? pipelines::default_api_base(endpoint.api, project.repo_url).value_or("")
                          : project.status_api_url;
  endpoint.repo_path = pipelines::repository_path(project.repo_url).value_or("");
  endpoint.token = std::move(*token);

  forge::StatusBody body;
  body.sha = payload->sha;
  body.state = pipelines::forge_state(endpoint.api, status->verdict);
  body.description = status->description;
  body.context = payload->deployment              ? "juanie/deploy/" + payload->environment
                 : project.status_context.empty() ? "juanie/" + project.name
                                                  : project.status_context;
  if (!payload->deployment && payload->pull_request) body.context += "/pr";
  // The status page's deep link: a deployment's own page, else the run's.
  if (!daemon_.public_url.empty() && (payload->deployment || payload->run > 0)) {
    std::string base = daemon_.public_url;
    while (base.ends_with('/')) base.pop_back();
    body.target_url =
        base + (payload->deployment ? "/deployments/" + std::to_string(*payload->deployment)
                                    : "/runs/" + std::to_string(payload->run));
  }
  auto response = transport_.send(forge::status_request(endpoint, body));
  if (!response) {
    // curl's message names the URL, which holds no secret (the token is a header).
    return StatusOutcome{StatusAnswer::kRetry, response.error().message, std::nullopt};
  }
  const pipelines::RateLimitHeaders limits{
      response->header("Retry-After"),
      !response->header("X-RateLimit-Reset").empty() ? response->header("X-RateLimit-Reset")
                                                     : response->header("RateLimit-Reset"),
      !response->header("X-RateLimit-Remaining").empty() ? response->header("X-RateLimit-Remaining")
                                                         : response->header("RateLimit-Remaining")};
  const auto answer =
      pipelines::classify_answer(endpoint.api, response->status, limits, response->body);
  if (answer == StatusAnswer::kDelivered) return StatusOutcome{answer, "", std::nullopt};
  std::string said = response->body.substr(0, 200);
  for (char& c : said) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return StatusOutcome{
      answer,
      std::string(to_string(project.forge)) + " answered HTTP " + std::to_string(response->status) +
          (said.empty() ? "" : ": " + said),
      pipelines::not_before(response->status, limits, clock_.now(), std::chrono::hours(1))};
}

}  // namespace juanie::daemon::notify
