#include "daemon/forge/pull_request.hpp"

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>

#include "pipelines/ascii.hpp"
#include "pipelines/ref.hpp"

namespace juanie::daemon {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxTitle = 1024;
constexpr std::size_t kMaxName = 512;

const json::value* member(const json::value* v, std::string_view key) {
  if (!v || !v->is_object()) return nullptr;
  return v->get_object().if_contains(key);
}

std::string string_at(const json::value* v) {
  if (v && v->is_string()) return std::string(v->get_string());
  return {};
}

// A title is shown and given to steps: no control characters (a newline would let a title
// forge lines in the run's log), at most kMaxTitle bytes, never half a UTF-8 sequence.
std::string clean_text(std::string text, std::size_t max) {
  std::erase_if(text, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (text.size() > max) {
    text.resize(max);
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) {
      text.pop_back();
    }
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
  }
  return text;
}

Result<std::int64_t> positive(const json::value* v, std::string_view field) {
  if (v && v->is_int64() && v->get_int64() > 0) return v->get_int64();
  if (v && v->is_uint64() && v->get_uint64() > 0 &&
      v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return fail(std::string(field) + " is missing or not a positive integer");
}

// A project id (GitLab) or a repository name, as text to compare.
std::string identity(const json::value* v) {
  if (v && v->is_int64()) return std::to_string(v->get_int64());
  if (v && v->is_uint64()) return std::to_string(v->get_uint64());
  return string_at(v);
}

// What git accepts as a branch name (git check-ref-format), so a hostile body cannot hand
// steps and logs a name no branch can have.
bool is_branch_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxName || name.front() == '-' || name.front() == '/' ||
      name.back() == '/' || name.back() == '.' || name.ends_with(".lock") || name == "@") {
    return false;
  }
  if (name.find("..") != std::string_view::npos || name.find("//") != std::string_view::npos ||
      name.find("@{") != std::string_view::npos || name.find("/.") != std::string_view::npos ||
      name.front() == '.') {
    return false;
  }
  return std::none_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == ' ' || c == '~' || c == '^' || c == ':' || c == '?' ||
           c == '*' || c == '[' || c == '\\';
  });
}

Result<void> require_branch(const json::value* v, std::string_view field, std::string& out) {
  out = string_at(v);
  if (out.empty()) return fail(std::string(field) + " is missing or not a string");
  if (!is_branch_name(out)) {
    return fail(std::string(field) + " is not a valid branch name");
  }
  return {};
}

Result<void> require_sha(const json::value* v, std::string_view field, std::string& out) {
  out = string_at(v);
  if (!pipelines::is_object_id(out)) {
    return fail(std::string(field) + " is missing or not a commit id (40 or 64 lowercase hex)");
  }
  return {};
}

// GitHub and Gitea share a shape: action, number, pull_request {title, head, base}, sender.
Result<PullRequestEvent> hub_shape(Forge forge, const json::value& doc) {
  PullRequestEvent pr;
  pr.action_name = clean_text(string_at(member(&doc, "action")), kMaxName);
  if (pr.action_name.empty()) return fail("action is missing or not a string");
  const bool github = forge == Forge::kGithub;
  const auto& a = pr.action_name;
  if (a == "opened" || a == "reopened" ||
      (github && (a == "synchronize" || a == "ready_for_review")) ||
      (!github && a == "synchronized")) {
    pr.action = PullRequestAction::kRun;
  } else if (a == "closed") {
    pr.action = PullRequestAction::kClose;
  } else {
    pr.ignore_reason = "pull request action \"" + a + "\" brings no new code";
    return pr;
  }
  const json::value* p = member(&doc, "pull_request");
  if (!p || !p->is_object()) return fail("pull_request is missing or not an object");
  auto number = positive(member(p, "number"), "pull_request.number");
  if (!number) number = positive(member(&doc, "number"), "number");
  if (!number) return std::unexpected(number.error());
  pr.number = *number;
  pr.head_ref = "refs/pull/" + std::to_string(pr.number) + "/head";
  pr.sender = clean_text(string_at(member(member(&doc, "sender"), "login")), kMaxName);
  // Before a close returns too: intake checks the request is for the project's repository.
  pr.base_repository =
      clean_text(string_at(member(member(member(p, "base"), "repo"), "full_name")), kMaxName);
  if (pr.base_repository.empty()) {
    pr.base_repository =
        clean_text(string_at(member(member(&doc, "repository"), "full_name")), kMaxName);
  }
  if (pr.action == PullRequestAction::kClose) return pr;
  pr.title = clean_text(string_at(member(p, "title")), kMaxTitle);
  const json::value* head = member(p, "head");
  const json::value* base = member(p, "base");
  if (auto ok = require_sha(member(head, "sha"), "pull_request.head.sha", pr.head_sha); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_branch(member(head, "ref"), "pull_request.head.ref", pr.source_branch);
      !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_branch(member(base, "ref"), "pull_request.base.ref", pr.target_branch);
      !ok) {
    return std::unexpected(ok.error());
  }
  pr.head_repository = clean_text(string_at(member(member(head, "repo"), "full_name")), kMaxName);
  // A head repository that is gone (a deleted fork: head.repo is null) or unnamed is
  // somebody else's until shown otherwise. Names compare without case, as the forges do; ids
  // too where both are given (head.repo.id, Gitea's head.repo_id). A head that is no branch
  // but a ref (Gitea's and Forgejo's AGit flow: `git push origin HEAD:refs/for/main/topic`,
  // open to anyone who may read the repository) names the base repository as its own, yet
  // nobody with write access vouched for it: it is a stranger's too.
  const auto head_id = identity(member(member(head, "repo"), "id"));
  const auto base_id = identity(member(member(base, "repo"), "id"));
  const auto head_repo_id = identity(member(head, "repo_id"));
  const auto base_repo_id = identity(member(base, "repo_id"));
  pr.fork =
      pr.head_repository.empty() || pr.base_repository.empty() ||
      !pipelines::ascii_iequals(pr.head_repository, pr.base_repository) ||
      (!head_id.empty() && !base_id.empty() && head_id != base_id) ||
      (!head_repo_id.empty() && !base_repo_id.empty() && head_repo_id != base_repo_id) ||
      pr.source_branch.starts_with("refs/") ||
      (forge == Forge::kGitea && member(head, "label") && string_at(member(head, "label")).empty());
  return pr;
}

Result<PullRequestEvent> gitlab_shape(const json::value& doc) {
  PullRequestEvent pr;
  const json::value* o = member(&doc, "object_attributes");
  if (!o || !o->is_object()) return fail("object_attributes is missing or not an object");
  pr.action_name = clean_text(string_at(member(o, "action")), kMaxName);
  const auto& a = pr.action_name;
  // `update` also fires for a new title, label or assignee; only `oldrev` says new commits.
  const json::value* oldrev = member(o, "oldrev");
  const bool new_commits = oldrev && oldrev->is_string() && !oldrev->get_string().empty();
  if (a == "open" || a == "reopen" || (a == "update" && new_commits)) {
    pr.action = PullRequestAction::kRun;
  } else if (a == "close" || a == "merge") {
    pr.action = PullRequestAction::kClose;
  } else if (a == "update") {
    pr.ignore_reason = "merge request update without new commits";
    return pr;
  } else {
    pr.ignore_reason = "merge request action \"" + a + "\" brings no new code";
    return pr;
  }
  auto number = positive(member(o, "iid"), "object_attributes.iid");
  if (!number) return std::unexpected(number.error());
  pr.number = *number;
  pr.head_ref = "refs/merge-requests/" + std::to_string(pr.number) + "/head";
  pr.sender = clean_text(string_at(member(member(&doc, "user"), "username")), kMaxName);
  pr.base_repository =
      clean_text(string_at(member(member(o, "target"), "path_with_namespace")), kMaxName);
  if (pr.base_repository.empty()) {
    pr.base_repository =
        clean_text(string_at(member(member(&doc, "project"), "path_with_namespace")), kMaxName);
  }
  if (pr.action == PullRequestAction::kClose) return pr;
  pr.title = clean_text(string_at(member(o, "title")), kMaxTitle);
  if (auto ok = require_sha(member(member(o, "last_commit"), "id"),
                            "object_attributes.last_commit.id", pr.head_sha);
      !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_branch(member(o, "source_branch"), "object_attributes.source_branch",
                               pr.source_branch);
      !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_branch(member(o, "target_branch"), "object_attributes.target_branch",
                               pr.target_branch);
      !ok) {
    return std::unexpected(ok.error());
  }
  const std::string source_id = identity(member(o, "source_project_id"));
  const std::string target_id = identity(member(o, "target_project_id"));
  pr.head_repository =
      clean_text(string_at(member(member(o, "source"), "path_with_namespace")), kMaxName);
  if (pr.head_repository.empty()) pr.head_repository = source_id;
  if (pr.base_repository.empty()) pr.base_repository = target_id;
  pr.fork = source_id.empty() || target_id.empty() || source_id != target_id;
  return pr;
}

}  // namespace

Result<PullRequestEvent> parse_pull_request(Forge forge, std::string_view body) {
  json::monotonic_resource arena(std::clamp<std::size_t>(body.size() * 2, 4096, 256 * 1024));
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec, &arena);
  if (ec) return fail("the body is not valid JSON: " + ec.message());
  if (!doc.is_object()) return fail("the body is not a JSON object");
  if (forge == Forge::kGitlab) return gitlab_shape(doc);
  return hub_shape(forge, doc);
}

}  // namespace juanie::daemon
