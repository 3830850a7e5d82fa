#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pipelines/error.hpp"

namespace juanie::daemon::flux {

// One event of Flux's notification-controller (generic and generic-hmac providers), as far as
// a rollout needs it. Text fields are cut to a few KiB.
struct FluxEvent {
  std::string kind;        // involvedObject.kind: Kustomization, HelmRelease, GitRepository, …
  std::string name;        // involvedObject.name
  std::string namespace_;  // involvedObject.namespace
  std::string severity;    // info | error
  std::string reason;      // ReconciliationSucceeded, HealthCheckFailed, …
  std::string message;
  std::string timestamp;
  std::string controller;               // reportingController
  std::optional<std::string> revision;  // as sent, from metadata (with or without the prefix)
  std::optional<std::string> commit;    // the GitOps commit the revision names
};

// Parses the body; an error names the field that is missing or of the wrong type.
Result<FluxEvent> parse_flux_event(std::string_view body);

// generic-hmac: `X-Signature: <hash>=<hex HMAC of the body>` with the key's raw bytes, hash one
// of sha224, sha256, sha384, sha512. Constant-time; the error never echoes an expected value.
Result<void> verify_flux_signature(std::optional<std::string_view> header, std::string_view body,
                                   std::string_view key);

}  // namespace juanie::daemon::flux
