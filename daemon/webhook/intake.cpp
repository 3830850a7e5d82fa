#include "daemon/webhook/intake.hpp"

#include "daemon/forge/event.hpp"
#include "daemon/forge/signature.hpp"
#include "pipelines/ascii.hpp"
#include "pipelines/branch_strategy.hpp"
#include "pipelines/commit_status.hpp"
#include "pipelines/ref.hpp"

namespace juanie::daemon {
namespace {

bool is_number(std::string_view text) {
  return text.find_first_not_of("0123456789") == std::string_view::npos;
}

// A pull request's head, as a run that never deploys: no environment, whatever its branches.
Intake pull_request_intake(Forge forge, const PullRequestEvent& pr, std::string delivery,
                           const config::LoadedProject& project, const std::string& event) {
  const std::string label = forge == Forge::kGitlab ? "merge request !" : "pull request #";
  if (pr.action == PullRequestAction::kIgnore)
    return Ignored{std::move(delivery), pr.ignore_reason};
  // Organisation, group and system hooks deliver other repositories' requests signed with the
  // same secret: one of another repository must neither run here nor cancel this project's
  // request of the same number. (A repository on the local disk has no forge path to
  // compare with.)
  const std::string& url = project.config.repo_url;
  const auto own = url.starts_with("file:") ? std::nullopt : pipelines::repository_path(url);
  if (own && !pr.base_repository.empty() && !is_number(pr.base_repository) &&
      !pipelines::ascii_iequals(pr.base_repository, *own)) {
    return Ignored{std::move(delivery), label + std::to_string(pr.number) + " is for " +
                                            pr.base_repository + ", not this project's " + *own};
  }
  if (pr.action == PullRequestAction::kClose) {
    return PullRequestClosed{std::move(delivery), project.config.name, pr.head_ref, pr.number,
                             label + std::to_string(pr.number) + " was " +
                                 (pr.action_name == "merge" ? "merged" : "closed")};
  }
  store::RunRequest run;
  run.project = project.config.name;
  run.forge = std::string(to_string(forge));
  run.delivery = std::move(delivery);
  run.event = event;
  run.ref = pr.head_ref;
  run.ref_kind = "branch";
  run.branch = pr.source_branch;
  run.sha = pr.head_sha;
  run.pusher = pr.sender;
  run.sender = pr.sender;
  run.pull_request = store::PullRequestFields{pr.number,        pr.title, pr.source_branch,
                                              pr.target_branch, pr.fork,  pr.head_repository};
  return run;
}

}  // namespace

Intake classify_webhook(Forge forge, const http::Request& req, const config::LoadedProject* project,
                        std::chrono::system_clock::time_point now) {
  if (!project || project->config.forge != forge) {
    return Rejection{404, "no project takes " + std::string(to_string(forge)) + " webhooks here"};
  }
  if (auto ok = verify_signature(forge, req, project->webhook_secret, now); !ok) {
    return Rejection{401, ok.error().message};
  }
  const auto key = forge == Forge::kGitlab && is_gitlab_signing_token(project->webhook_secret)
                       ? DeliveryKey::kSignedWebhookId
                       : DeliveryKey::kForgeHeader;
  auto delivery = delivery_id(forge, req, key);
  if (!delivery) return Rejection{400, delivery.error().message};
  auto event = parse_event(forge, req);
  if (!event) return Rejection{400, event.error().message};

  switch (event->kind) {
    case EventKind::kPing:
      return Ignored{*delivery, "ping"};
    case EventKind::kOther:
      return Ignored{*delivery, "event \"" + event->name + "\" needs no run"};
    case EventKind::kPullRequest:
      return pull_request_intake(forge, event->pull_request, std::move(*delivery), *project,
                                 event->name);
    case EventKind::kPush:
      break;
  }
  const PushEvent& push = event->push;
  auto ref = pipelines::parse_ref(push.ref);
  if (!ref) return Ignored{*delivery, push.ref + " is neither a branch nor a tag"};
  const char* kind = ref->kind == pipelines::RefKind::kTag ? "tag" : "branch";
  if (pipelines::is_zero_sha(push.after)) {
    return Ignored{*delivery, std::string(kind) + " " + ref->name + " was deleted"};
  }
  if (push.before == push.after) {
    return Ignored{*delivery, "test delivery: the push moved nothing"};
  }
  const pipelines::Rule* rule = pipelines::match_rule(project->config.rules, *ref);
  if (!rule && ref->kind == pipelines::RefKind::kTag) {
    return Ignored{*delivery, "no rule maps tag " + ref->name};
  }
  store::RunRequest run;
  run.project = project->config.name;
  run.forge = std::string(to_string(forge));
  run.delivery = std::move(*delivery);
  run.event = event->name;
  run.ref = push.ref;
  run.ref_kind = kind;
  run.branch = ref->name;
  run.sha = push.after;
  if (rule) {
    run.environment = rule->environment;
    run.deploy_trigger = std::string(pipelines::to_string(rule->trigger));
  }
  run.pusher = push.pusher;
  run.sender = push.sender;
  run.author_emails = push.emails;
  run.commit_message = push.commit_message;
  run.commit_author = push.commit_author;
  return run;
}

}  // namespace juanie::daemon
