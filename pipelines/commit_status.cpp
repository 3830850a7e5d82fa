#include "pipelines/commit_status.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>

#include "pipelines/encoding.hpp"

namespace juanie::pipelines {
namespace {

using std::chrono::system_clock;

// Cut at a character boundary: a forge refuses a description over its limit, and a cut UTF-8
// sequence is not text.
std::string bounded(std::string text) {
  if (text.size() <= kDescriptionMax) return text;
  std::size_t end = kDescriptionMax - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text + "...";
}

std::optional<std::int64_t> digits(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

int two_digits(std::string_view s, std::size_t at) {
  if (at + 2 > s.size() || s[at] < '0' || s[at] > '9' || s[at + 1] < '0' || s[at + 1] > '9')
    return -1;
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

// "Sun, 06 Nov 1994 08:49:37 GMT", exactly (IMF-fixdate).
std::optional<system_clock::time_point> imf_fixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                         "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  bool day_name = false;
  for (auto d : kDays) day_name = day_name || s.substr(0, 3) == d;
  int month = -1;
  for (int m = 0; m < 12; ++m) {
    if (s.substr(8, 3) == kMonths[static_cast<std::size_t>(m)]) month = m + 1;
  }
  const int day = two_digits(s, 5), hh = two_digits(s, 17), mm = two_digits(s, 20),
            ss = two_digits(s, 23), yh = two_digits(s, 12), yl = two_digits(s, 14);
  if (!day_name || month < 0 || day < 1 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 ||
      ss > 60 || yh < 0 || yl < 0) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(yh * 100 + yl),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(hh) + std::chrono::minutes(mm) +
         std::chrono::seconds(ss);
}

}  // namespace

CommitStatus run_status(RunState state, bool step_failed, std::string_view reason) {
  switch (state) {
    case RunState::kQueued:
      return {StatusVerdict::kQueued, "queued"};
    case RunState::kRunning:
      return {StatusVerdict::kRunning, "running"};
    case RunState::kSucceeded:
      return {StatusVerdict::kSuccess, "passed"};
    case RunState::kCancelled:
      // Who cancelled it (an API token's name) is Juanie's business, not the forge's readers'.
      return {StatusVerdict::kCancelled,
              bounded(reason.starts_with("superseded") ? std::string(reason) : "cancelled")};
    case RunState::kFailed:
      break;
  }
  if (step_failed) {
    return {StatusVerdict::kFailure, bounded(reason.empty() ? "failed" : std::string(reason))};
  }
  // Infrastructure errors name hosts, paths and remotes: on a public repository's commit page
  // they would be anyone's to read. The link leads to the reason.
  return {StatusVerdict::kError, "the pipeline could not be run; see the run for why"};
}

CommitStatus deployment_status(DeploymentState state, std::string_view environment) {
  const std::string env(environment);
  switch (state) {
    case DeploymentState::kPending:
      return {StatusVerdict::kQueued, bounded("to be deployed to " + env)};
    case DeploymentState::kAwaitingApproval:
      return {StatusVerdict::kQueued, bounded("waiting for approval to deploy to " + env)};
    case DeploymentState::kRunning:
    case DeploymentState::kDeploying:
      return {StatusVerdict::kRunning, bounded("deploying to " + env)};
    case DeploymentState::kSuccess:
      return {StatusVerdict::kSuccess, bounded("deployed to " + env)};
    case DeploymentState::kFailed:
      return {StatusVerdict::kFailure, bounded("deployment to " + env + " failed")};
    case DeploymentState::kRolledBack:
      return {StatusVerdict::kFailure, bounded("rolled back in " + env)};
    case DeploymentState::kCancelled:
      break;
  }
  return {StatusVerdict::kCancelled, bounded("deployment to " + env + " cancelled")};
}

std::string_view forge_state(StatusApi api, StatusVerdict verdict) {
  if (api == StatusApi::kGitlab) {
    switch (verdict) {
      case StatusVerdict::kQueued:
        return "pending";
      case StatusVerdict::kRunning:
        return "running";
      case StatusVerdict::kSuccess:
        return "success";
      case StatusVerdict::kFailure:
      case StatusVerdict::kError:  // GitLab has no error state
        return "failed";
      case StatusVerdict::kCancelled:
        return "canceled";
    }
  }
  // GitHub and Gitea share these four; neither has a cancelled state, and a cancelled run
  // did not pass: error, as other CIs report it.
  switch (verdict) {
    case StatusVerdict::kQueued:
    case StatusVerdict::kRunning:
      return "pending";
    case StatusVerdict::kSuccess:
      return "success";
    case StatusVerdict::kFailure:
      return "failure";
    case StatusVerdict::kError:
    case StatusVerdict::kCancelled:
      break;
  }
  return "error";
}

std::optional<std::string> repository_path(std::string_view url) {
  std::string_view path;
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
    const auto slash = url.find('/', scheme + 3);
    if (slash == std::string_view::npos) return std::nullopt;
    path = url.substr(slash + 1);
  } else if (const auto colon = url.find(':'); colon != std::string_view::npos) {
    path = url.substr(colon + 1);  // scp-like: git@host:owner/repo.git
  } else {
    return std::nullopt;
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.ends_with(".git")) path.remove_suffix(4);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty() || path.find('/') == std::string_view::npos ||
      path.find_first_of("?#") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(path);
}

std::optional<std::string> default_api_base(StatusApi api, std::string_view url) {
  if (api == StatusApi::kGithub) return "https://api.github.com";
  std::string scheme = "https";
  std::string_view authority;
  if (const auto sep = url.find("://"); sep != std::string_view::npos) {
    const std::string_view given = url.substr(0, sep);
    authority = url.substr(sep + 3, url.find('/', sep + 3) - sep - 3);
    if (given == "http") scheme = "http";
    if (given != "http" && given != "https") {
      // ssh://git@host:2222/...: the port is ssh's, not the web's.
      authority = authority.substr(0, authority.find(':'));
    }
  } else if (const auto colon = url.find(':'); colon != std::string_view::npos) {
    authority = url.substr(0, colon);
  }
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) return std::nullopt;
  return scheme + "://" + std::string(authority);
}

std::string status_url(StatusApi api, std::string_view api_base, std::string_view repo_path,
                       std::string_view sha) {
  std::string base(api_base);
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (api == StatusApi::kGitlab) {
    return base + "/api/v4/projects/" + percent_encode(repo_path) + "/statuses/" +
           percent_encode(sha);
  }
  // Each segment encoded alone: the slashes between them are the API's.
  std::string path;
  for (std::size_t from = 0;;) {
    const auto slash = repo_path.find('/', from);
    path += percent_encode(repo_path.substr(from, slash - from));
    if (slash == std::string_view::npos) break;
    path += '/';
    from = slash + 1;
  }
  return base + (api == StatusApi::kGitea ? "/api/v1/repos/" : "/repos/") + path + "/statuses/" +
         percent_encode(sha);
}

bool is_rate_limited(int status, const RateLimitHeaders& h) {
  if (status == 429) return true;
  return status == 403 && (!h.retry_after.empty() || digits(h.remaining) == 0);
}

StatusAnswer classify_answer(StatusApi api, int status, const RateLimitHeaders& headers,
                             std::string_view body) {
  if (status >= 200 && status <= 299) return StatusAnswer::kDelivered;
  if (api == StatusApi::kGitlab && status == 400 &&
      body.find("Cannot transition status") != std::string_view::npos) {
    return StatusAnswer::kDelivered;
  }
  if (is_rate_limited(status, headers) || status == 408 || status >= 500 || status < 200) {
    return StatusAnswer::kRetry;
  }
  // 401, 403, 404, 422 and the rest of 4xx: the same request would be refused again.
  if (status >= 400) return StatusAnswer::kRefused;
  return StatusAnswer::kRetry;  // 3xx: a redirect we did not follow; perhaps a moved API
}

// Any count of seconds past this means "much later", which the cap makes at most an hour;
// taken as it is, 18 digits of seconds overflow system_clock's nanoseconds (fuzz_rate_limit_headers
// found "70000060600").
constexpr std::int64_t kMaxSeconds = 4'000'000'000;

std::optional<system_clock::time_point> parse_retry_after(std::string_view value,
                                                          system_clock::time_point now) {
  if (auto seconds = digits(value)) {
    return now + std::chrono::seconds(std::min(*seconds, kMaxSeconds));
  }
  return imf_fixdate(value);
}

std::optional<system_clock::time_point> not_before(int status, const RateLimitHeaders& headers,
                                                   system_clock::time_point now,
                                                   std::chrono::seconds cap) {
  std::optional<system_clock::time_point> at;
  if (!headers.retry_after.empty()) at = parse_retry_after(headers.retry_after, now);
  if (!at && (digits(headers.remaining) == 0 || is_rate_limited(status, headers))) {
    if (auto reset = digits(headers.reset)) {
      at = system_clock::time_point(std::chrono::seconds(std::min(*reset, kMaxSeconds)));
    }
  }
  if (!at) return std::nullopt;
  return std::min(*at, now + cap);
}

}  // namespace juanie::pipelines
