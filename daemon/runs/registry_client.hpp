#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "pipelines/error.hpp"

namespace juanie::daemon {

// host/name:tag split as the registry's HTTP API names it. Docker Hub's short names
// (docker.io/…) are reached at registry-1.docker.io.
struct ImageReference {
  std::string host;
  std::string name;
  std::string tag;
};
Result<ImageReference> parse_image_reference(std::string_view reference);

// What the registry holds under `reference` now: the Docker-Content-Digest of
// GET /v2/<name>/manifests/<tag>, or nullopt when there is no such tag (404). `tls` false: a
// plain-http registry. Credentials come from a containers auth.json (the project's
// registry.auth): Basic, or a Bearer token fetched from the registry's challenge realm.
Result<std::optional<std::string>> registry_digest(
    const std::string& reference, bool tls, const std::optional<std::filesystem::path>& authfile);

}  // namespace juanie::daemon
