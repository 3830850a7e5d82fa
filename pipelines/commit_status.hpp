#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "pipelines/state_machines.hpp"

// What Juanie tells a forge about a commit (its status API), as plain values: the verdict of a
// run or a deployment, each forge's word for it, where to send it, and how to read the forge's
// answer. Pure; the request itself is built in daemon/forge/status_request.
namespace juanie::pipelines {

enum class StatusApi { kGithub, kGitlab, kGitea };

// Before any forge's vocabulary. kError: the pipeline could not be carried out (fetch,
// checkout, pipeline file, image, restart) — no step of the commit's failed.
enum class StatusVerdict { kQueued, kRunning, kSuccess, kFailure, kError, kCancelled };

struct CommitStatus {
  StatusVerdict verdict = StatusVerdict::kQueued;
  std::string description;  // at most kDescriptionMax bytes, whole UTF-8 characters
};

// GitHub's limit; the others take more.
inline constexpr std::size_t kDescriptionMax = 140;

// A failed run is a failure when one of its steps failed (the commit's fault; the reason is
// the description), otherwise an error (Juanie or its dependencies could not carry it out;
// the description says only that — the reason, which may name internal hosts and paths, stays
// behind the link). A cancelled run says "cancelled", or which run superseded it.
CommitStatus run_status(RunState state, bool step_failed, std::string_view reason);
CommitStatus deployment_status(DeploymentState state, std::string_view environment);

// GitHub: pending|success|failure|error; GitLab: pending|running|success|failed|canceled;
// Gitea/Forgejo: pending|success|failure|error|warning.
std::string_view forge_state(StatusApi api, StatusVerdict verdict);

// "acme/shop-api" of https://github.com/acme/shop-api.git, git@host:acme/shop-api.git,
// ssh://git@host:2222/group/sub/proj; nullopt when the URL names no repository path.
std::optional<std::string> repository_path(std::string_view repo_url);
// GitHub: https://api.github.com; GitLab and Gitea: the repository URL's scheme, host and
// port (an ssh or scp-like URL: https and its host). nullopt when the URL has no host.
std::optional<std::string> default_api_base(StatusApi api, std::string_view repo_url);
// The endpoint for `sha`: GitHub /repos/{path}/statuses/{sha}, GitLab
// /api/v4/projects/{url-encoded path}/statuses/{sha}, Gitea /api/v1/repos/{path}/statuses/{sha}.
std::string status_url(StatusApi api, std::string_view api_base, std::string_view repo_path,
                       std::string_view sha);

// What an answer means for the message: sent, try again later, or never (a retry cannot fix
// a bad token, a missing repository or a refused body).
enum class StatusAnswer { kDelivered, kRetry, kRefused };

// The rate-limit headers of an answer, as received ("" when absent).
struct RateLimitHeaders {
  std::string retry_after;  // Retry-After: seconds or an HTTP date
  std::string reset;        // X-RateLimit-Reset (or RateLimit-Reset): Unix seconds
  std::string remaining;    // X-RateLimit-Remaining (or RateLimit-Remaining)
};

// A 403 or 429 that carries Retry-After or no requests remaining is a rate limit (GitHub
// answers its rate limits with 403), not a refusal.
bool is_rate_limited(int status, const RateLimitHeaders& headers);
// GitLab answers 400 "Cannot transition status via :run from :running" to a status it already
// shows: delivered, as far as we are concerned.
StatusAnswer classify_answer(StatusApi api, int status, const RateLimitHeaders& headers,
                             std::string_view body);

// Retry-After as delta-seconds or an IMF-fixdate (RFC 9110 §10.2.3); nullopt for anything
// else, including the obsolete date forms.
std::optional<std::chrono::system_clock::time_point> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);
// The earliest time the forge allows another request: Retry-After, else X-RateLimit-Reset
// when no requests remain (or the answer was a rate limit); never more than `cap` from now
// (a forge's clock or header can be wrong), nullopt when the headers say nothing.
std::optional<std::chrono::system_clock::time_point> not_before(
    int status, const RateLimitHeaders& headers, std::chrono::system_clock::time_point now,
    std::chrono::seconds cap);

}  // namespace juanie::pipelines
