#include "daemon/forge/signature.hpp"

#include <charconv>

#include "daemon/support/crypto.hpp"

namespace juanie::daemon {
namespace {

constexpr std::chrono::seconds kGitlabTolerance{300};

Result<void> verify_hex_hmac(std::string_view header_name, std::string_view hex,
                             std::string_view body, std::string_view secret) {
  auto sent = hex_decode_digest(hex);
  if (!sent) return fail(std::string(header_name) + " is not a hex SHA-256 HMAC");
  if (!constant_time_equal(*sent, hmac_sha256(secret, body))) {
    return fail(std::string(header_name) + " does not match the body");
  }
  return {};
}

Result<void> verify_github(const http::Request& req, std::string_view secret) {
  auto header = req.header("X-Hub-Signature-256");
  if (!header) {
    if (req.header("X-Hub-Signature")) {
      return fail("only a SHA-1 X-Hub-Signature was sent; X-Hub-Signature-256 is required");
    }
    return fail("missing X-Hub-Signature-256");
  }
  constexpr std::string_view kPrefix = "sha256=";
  if (!header->starts_with(kPrefix)) return fail("X-Hub-Signature-256 must start with sha256=");
  return verify_hex_hmac("X-Hub-Signature-256", header->substr(kPrefix.size()), req.body, secret);
}

Result<void> verify_gitea(const http::Request& req, std::string_view secret) {
  if (auto h = req.header("X-Gitea-Signature")) {
    return verify_hex_hmac("X-Gitea-Signature", *h, req.body, secret);
  }
  if (auto h = req.header("X-Forgejo-Signature")) {
    return verify_hex_hmac("X-Forgejo-Signature", *h, req.body, secret);
  }
  return fail("missing X-Gitea-Signature");
}

Result<void> verify_gitlab_token(const http::Request& req, std::string_view secret) {
  auto token = req.header("X-Gitlab-Token");
  if (!token) return fail("missing X-Gitlab-Token");
  // Hash both sides so the comparison takes the same time whatever the sent length.
  if (!constant_time_equal(sha256(*token), sha256(secret))) {
    return fail("X-Gitlab-Token does not match");
  }
  return {};
}

Result<void> verify_gitlab_signing(const http::Request& req, std::string_view secret,
                                   std::chrono::system_clock::time_point now) {
  auto key = base64_decode(secret.substr(6));  // after "whsec_"
  if (!key || key->empty()) return fail("the project's GitLab signing token is not valid base64");
  auto id = req.header("webhook-id");
  auto timestamp = req.header("webhook-timestamp");
  auto signatures = req.header("webhook-signature");
  if (!signatures) return fail("missing webhook-signature");
  if (!id || !timestamp) return fail("missing webhook-id or webhook-timestamp");
  long long seconds = 0;
  auto [ptr, ec] =
      std::from_chars(timestamp->data(), timestamp->data() + timestamp->size(), seconds);
  if (ec != std::errc() || ptr != timestamp->data() + timestamp->size()) {
    return fail("webhook-timestamp is not a number");
  }
  // Compared in whole seconds: turning an attacker's 19-digit number into the clock's
  // nanoseconds would overflow.
  const long long now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const long long tolerance = kGitlabTolerance.count();
  if (seconds < now_seconds - tolerance || seconds > now_seconds + tolerance) {
    return fail("webhook-timestamp is more than five minutes from now");
  }
  std::string signed_content;
  signed_content.reserve(id->size() + timestamp->size() + req.body.size() + 2);
  signed_content.append(*id).append(".").append(*timestamp).append(".").append(req.body);
  const Digest expected = hmac_sha256(*key, signed_content);
  bool matched = false;
  std::string_view rest = *signatures;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    std::string_view entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (!entry.starts_with("v1,")) continue;
    auto raw = base64_decode(entry.substr(3));
    if (!raw || raw->size() != expected.size()) continue;
    Digest sent{};
    std::copy(raw->begin(), raw->end(), sent.begin());
    // Keep checking after a match so the time does not depend on which entry matched.
    matched = constant_time_equal(sent, expected) || matched;
  }
  if (!matched) return fail("no webhook-signature entry matches the body");
  return {};
}

}  // namespace

bool is_gitlab_signing_token(std::string_view secret) {
  return secret.starts_with("whsec_");
}

Result<void> verify_signature(Forge forge, const http::Request& request, std::string_view secret,
                              std::chrono::system_clock::time_point now) {
  if (secret.empty()) return fail("the project has an empty webhook secret");
  switch (forge) {
    case Forge::kGithub:
      return verify_github(request, secret);
    case Forge::kGitea:
      return verify_gitea(request, secret);
    case Forge::kGitlab:
      if (is_gitlab_signing_token(secret)) return verify_gitlab_signing(request, secret, now);
      return verify_gitlab_token(request, secret);
  }
  return fail("unknown forge");
}

}  // namespace juanie::daemon
