#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/forge/forge.hpp"
#include "daemon/http/message.hpp"
#include "pipelines/error.hpp"

namespace juanie::daemon {

enum class EventKind { kPush, kPing, kPullRequest, kOther };

struct PushEvent {
  std::string ref;
  std::string before;
  std::string after;
  std::string
      pusher;  // the pusher's login (GitHub pusher.name, GitLab user_username, Gitea pusher.login)
  std::string sender;  // whose action sent the event (sender.login), when the forge says
  // Lowercased, distinct: the pusher's address and every author and committer address of the
  // pushed commits (as many as the forge lists, at most kMaxEmails).
  std::vector<std::string> emails;
  std::string repository;
  std::string commit_message;  // of the pushed head commit, cut to a few KiB
  std::string commit_author;
};

// What a pull/merge request event asks of us.
enum class PullRequestAction {
  kRun,     // new code to test: opened, reopened, new commits
  kClose,   // closed or merged: its runs are no longer wanted
  kIgnore,  // labels, titles, reviews, ...: `ignore_reason` says which
};

struct PullRequestEvent {
  PullRequestAction action = PullRequestAction::kIgnore;
  std::string action_name;  // the forge's word: synchronize, synchronized, update, ...
  std::string ignore_reason;
  std::int64_t number = 0;  // GitHub/Gitea number, GitLab iid
  std::string title;
  std::string head_sha;       // set for kRun
  std::string source_branch;  // set for kRun
  std::string target_branch;  // set for kRun
  // Where the head commits live and where they are proposed to go (GitHub/Gitea full_name,
  // GitLab path_with_namespace or project id); a pull request between two is from a fork.
  std::string head_repository;
  std::string base_repository;
  bool fork = false;
  std::string head_ref;  // refs/pull/N/head, refs/merge-requests/N/head: where the forge keeps it
  std::string sender;    // who acted (login)
};

struct ForgeEvent {
  EventKind kind = EventKind::kOther;
  std::string name;               // the forge's own event name, for "ignored" answers and logs
  PushEvent push;                 // set for kPush
  PullRequestEvent pull_request;  // set for kPullRequest
};

// The event name header and, for pushes, the JSON body. Only called on a verified request.
// A push whose body is not JSON, or lacks ref/before/after of the right shape, is an error
// (the caller answers 400). So is a pull/merge request event that asks for a run (or a
// cancel) without a number, a head commit id or its branches.
Result<ForgeEvent> parse_event(Forge forge, const http::Request& request);

// How a delivery is told apart from a replay of it.
enum class DeliveryKey {
  kForgeHeader,      // the forge's delivery header (X-GitHub-Delivery, X-Gitlab-Event-UUID, ...)
  kSignedWebhookId,  // GitLab signing tokens: the webhook-id the signature covers
};

// The delivery id, the idempotency key: printable ASCII, at most 200 bytes. Where the request
// is signed with its id (kSignedWebhookId) only that id counts: an unsigned header can be
// changed by whoever replays a captured request.
Result<std::string> delivery_id(Forge forge, const http::Request& request,
                                DeliveryKey key = DeliveryKey::kForgeHeader);

}  // namespace juanie::daemon
