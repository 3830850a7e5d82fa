#include "daemon/forge/event.hpp"

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>

#include "daemon/forge/pull_request.hpp"
#include "pipelines/ascii.hpp"
#include "pipelines/ref.hpp"

namespace juanie::daemon {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxMessage = 4096;
constexpr std::size_t kMaxEmails = 256;
constexpr std::size_t kMaxEmail = 320;

std::string string_at(const json::value* v) {
  if (v && v->is_string()) return std::string(v->get_string());
  return {};
}

const json::value* member(const json::value* v, std::string_view key) {
  if (!v || !v->is_object()) return nullptr;
  return v->get_object().if_contains(key);
}

std::string cut(std::string text) {
  if (text.size() > kMaxMessage) {
    text.resize(kMaxMessage);
    // Do not leave half a UTF-8 sequence at the end.
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) {
      text.pop_back();
    }
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
  }
  return text;
}

Result<void> require_id(const json::object& o, std::string_view key, std::string& out) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return fail(std::string(key) + " is missing or not a string");
  std::string_view text = v->get_string();
  if (!pipelines::is_object_id(text)) {
    return fail(std::string(key) + " is not a commit id (40 or 64 lowercase hex digits)");
  }
  out = std::string(text);
  return {};
}

// The shape GitHub, Gitea and GitLab share: ref, before, after at the top.
Result<PushEvent> common_push(const json::value& doc) {
  if (!doc.is_object()) return fail("the body is not a JSON object");
  const json::object& o = doc.get_object();
  PushEvent push;
  const json::value* ref = o.if_contains("ref");
  if (!ref || !ref->is_string() || ref->get_string().empty()) {
    return fail("ref is missing or not a string");
  }
  push.ref = std::string(ref->get_string());
  if (auto ok = require_id(o, "before", push.before); !ok) return std::unexpected(ok.error());
  if (auto ok = require_id(o, "after", push.after); !ok) return std::unexpected(ok.error());
  return push;
}

// The commit the push moved the ref to: head_commit where the forge sends it, else the entry
// of `commits` whose id is `after`.
void head_commit(const json::value& doc, PushEvent& push) {
  const json::value* head = member(&doc, "head_commit");
  if (!head || !head->is_object()) {
    const json::value* commits = member(&doc, "commits");
    if (commits && commits->is_array()) {
      for (const auto& c : commits->get_array()) {
        if (string_at(member(&c, "id")) == push.after) head = &c;
      }
    }
  }
  if (!head) return;
  push.commit_message = cut(string_at(member(head, "message")));
  push.commit_author = cut(string_at(member(member(head, "author"), "name")));
}

void add_email(PushEvent& push, std::string email) {
  if (email.empty() || email.size() > kMaxEmail || push.emails.size() >= kMaxEmails) return;
  email = pipelines::ascii_lower(std::move(email));
  if (std::find(push.emails.begin(), push.emails.end(), email) == push.emails.end()) {
    push.emails.push_back(std::move(email));
  }
}

// Everyone whose address the push names: the pusher, and each listed commit's author and
// committer (GitLab lists authors only, and at most 20 commits).
void addresses(const json::value& doc, Forge forge, PushEvent& push) {
  if (forge == Forge::kGitlab) {
    add_email(push, string_at(member(&doc, "user_email")));
  } else {
    add_email(push, string_at(member(member(&doc, "pusher"), "email")));
  }
  auto commit = [&](const json::value* c) {
    add_email(push, string_at(member(member(c, "author"), "email")));
    add_email(push, string_at(member(member(c, "committer"), "email")));
  };
  commit(member(&doc, "head_commit"));
  if (const json::value* commits = member(&doc, "commits"); commits && commits->is_array()) {
    for (const auto& c : commits->get_array()) commit(&c);
  }
}

// A push is hundreds of small values: allocated one by one and freed one by one, they cost a
// fifth of the daemon's CPU per accepted webhook. The caller's arena holds them instead and
// frees them at once; the document must not outlive it.
Result<json::value> parse_json(std::string_view body, json::monotonic_resource& arena) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec, &arena);
  if (ec) return fail("the body is not valid JSON: " + ec.message());
  return doc;
}

// About what a parsed push takes per byte of body, so one arena block is usually enough; at
// most 256 KiB up front (the arena grows past it in further blocks), so a body near
// limits.body_max does not reserve twice its size before a byte is parsed.
std::size_t arena_size(std::string_view body) {
  return std::clamp<std::size_t>(body.size() * 2, 4096, 256 * 1024);
}

Result<ForgeEvent> push_event(Forge forge, std::string name, std::string_view body) {
  json::monotonic_resource arena(arena_size(body));
  auto doc = parse_json(body, arena);
  if (!doc) return std::unexpected(doc.error());
  auto push = common_push(*doc);
  if (!push) return std::unexpected(push.error());
  head_commit(*doc, *push);
  addresses(*doc, forge, *push);
  if (forge == Forge::kGitlab) {
    push->pusher = cut(string_at(member(&*doc, "user_username")));
    push->repository = cut(string_at(member(member(&*doc, "project"), "path_with_namespace")));
  } else {
    const json::value* pusher = member(&*doc, "pusher");
    push->pusher = string_at(member(pusher, forge == Forge::kGithub ? "name" : "login"));
    if (push->pusher.empty()) push->pusher = string_at(member(pusher, "username"));
    push->pusher = cut(push->pusher);
    push->sender = cut(string_at(member(member(&*doc, "sender"), "login")));
    push->repository = cut(string_at(member(member(&*doc, "repository"), "full_name")));
  }
  return ForgeEvent{EventKind::kPush, std::move(name), std::move(*push), {}};
}

Result<ForgeEvent> pull_request_event(Forge forge, std::string name, std::string_view body) {
  auto pr = parse_pull_request(forge, body);
  if (!pr) return std::unexpected(pr.error());
  ForgeEvent event{EventKind::kPullRequest, std::move(name), {}, std::move(*pr)};
  return event;
}

std::optional<std::string_view> first_header(const http::Request& req,
                                             std::initializer_list<std::string_view> names) {
  for (auto name : names) {
    if (auto v = req.header(name)) return v;
  }
  return std::nullopt;
}

}  // namespace

Result<ForgeEvent> parse_event(Forge forge, const http::Request& req) {
  switch (forge) {
    case Forge::kGithub: {
      auto name = req.header("X-GitHub-Event");
      if (!name || name->empty()) return fail("missing X-GitHub-Event");
      if (*name == "push") return push_event(forge, std::string(*name), req.body);
      if (*name == "ping") return ForgeEvent{EventKind::kPing, "ping", {}, {}};
      if (*name == "pull_request") return pull_request_event(forge, std::string(*name), req.body);
      return ForgeEvent{EventKind::kOther, std::string(*name), {}, {}};
    }
    case Forge::kGitea: {
      auto name = first_header(req, {"X-Gitea-Event", "X-Forgejo-Event", "X-Gogs-Event"});
      if (!name || name->empty()) return fail("missing X-Gitea-Event");
      if (*name == "push") return push_event(forge, std::string(*name), req.body);
      // New commits on a pull request: X-Gitea-Event says pull_request and X-Gitea-Event-Type
      // pull_request_sync; some versions put the latter in the event header itself.
      if (*name == "pull_request" || *name == "pull_request_sync") {
        return pull_request_event(forge, std::string(*name), req.body);
      }
      return ForgeEvent{EventKind::kOther, std::string(*name), {}, {}};
    }
    case Forge::kGitlab: {
      auto name = req.header("X-Gitlab-Event");
      if (!name || name->empty()) return fail("missing X-Gitlab-Event");
      // Older GitLab test deliveries said "Push Event"; system hooks carry object_kind.
      const bool push_header = *name == "Push Hook" || *name == "Tag Push Hook" ||
                               *name == "Push Event" || *name == "Tag Push Event";
      if (push_header) return push_event(forge, std::string(*name), req.body);
      if (*name == "Merge Request Hook") {
        return pull_request_event(forge, std::string(*name), req.body);
      }
      if (*name == "System Hook") {
        json::monotonic_resource arena(arena_size(req.body));
        auto doc = parse_json(req.body, arena);
        if (!doc) return std::unexpected(doc.error());
        const std::string kind = string_at(member(&*doc, "object_kind"));
        if (kind == "push" || kind == "tag_push") {
          return push_event(forge, std::string(*name), req.body);
        }
        if (kind == "merge_request") return pull_request_event(forge, std::string(*name), req.body);
        return ForgeEvent{EventKind::kOther, kind.empty() ? std::string(*name) : kind, {}, {}};
      }
      return ForgeEvent{EventKind::kOther, std::string(*name), {}, {}};
    }
  }
  return fail("unknown forge");
}

Result<std::string> delivery_id(Forge forge, const http::Request& req, DeliveryKey key) {
  std::optional<std::string_view> id;
  std::string_view wanted;
  if (key == DeliveryKey::kSignedWebhookId) {
    wanted = "webhook-id";
    id = req.header(wanted);
  } else {
    switch (forge) {
      case Forge::kGithub:
        wanted = "X-GitHub-Delivery";
        id = req.header(wanted);
        break;
      case Forge::kGitlab:
        wanted = "X-Gitlab-Event-UUID";
        id = first_header(req, {"X-Gitlab-Event-UUID", "Idempotency-Key", "webhook-id"});
        break;
      case Forge::kGitea:
        wanted = "X-Gitea-Delivery";
        id = first_header(req, {"X-Gitea-Delivery", "X-Forgejo-Delivery", "X-Gogs-Delivery"});
        break;
    }
  }
  if (!id || id->empty()) return fail("missing " + std::string(wanted));
  if (id->size() > 200) return fail(std::string(wanted) + " is longer than 200 bytes");
  for (char c : *id) {
    if (c < 0x21 || c > 0x7e)
      return fail(std::string(wanted) + " has characters other than printable ASCII");
  }
  return std::string(*id);
}

}  // namespace juanie::daemon
