#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/forge/forge.hpp"
#include "daemon/http/message.hpp"
#include "pipelines/error.hpp"

namespace juanie::daemon {

enum class EventKind { kPush, kPing, kOther };

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

struct ForgeEvent {
  EventKind kind = EventKind::kOther;
  std::string name;  // the forge's own event name, for "ignored" answers and logs
  PushEvent push;    // set for kPush
};

// The event name header and, for pushes, the JSON body. Only called on a verified request.
// A push whose body is not JSON, or lacks ref/before/after of the right shape, is an error
// (the caller answers 400).
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
