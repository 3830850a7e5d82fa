#pragma once

#include <chrono>
#include <string_view>

#include "daemon/forge/forge.hpp"
#include "daemon/http/message.hpp"
#include "pipelines/error.hpp"

namespace juanie::daemon {

// Checks that `request` was sent by the forge that knows `secret`, before anything in the body
// is trusted or even parsed. Every comparison is constant-time. The error says what was wrong
// (missing header, mismatch, stale timestamp) without echoing any expected value.
//
// GitHub: X-Hub-Signature-256 (sha256=<hex HMAC of the body>); SHA-1 alone is refused.
// Gitea/Forgejo: X-Gitea-Signature or X-Forgejo-Signature (bare hex HMAC).
// GitLab: a secret starting with "whsec_" is a signing token: webhook-signature
//   (space-separated "v1,<base64 HMAC of id.timestamp.body>", any may match) with
//   webhook-id and a webhook-timestamp within five minutes of `now`. Any other secret is
//   compared with X-Gitlab-Token.
// A GitLab secret of this form is a signing token (the signed webhook-id is then the delivery
// id); any other is compared with X-Gitlab-Token.
bool is_gitlab_signing_token(std::string_view secret);

Result<void> verify_signature(Forge forge, const http::Request& request, std::string_view secret,
                              std::chrono::system_clock::time_point now);

}  // namespace juanie::daemon
