#include "pipelines/rollout.hpp"

#include <array>

#include "pipelines/ref.hpp"

namespace juanie::pipelines {

std::optional<std::string> revision_commit(std::string_view revision) {
  // The commit is what follows the last '@', then an optional "<algorithm>:" prefix.
  if (const auto at = revision.rfind('@'); at != std::string_view::npos) {
    revision.remove_prefix(at + 1);
  } else if (const auto slash = revision.rfind('/'); slash != std::string_view::npos) {
    revision.remove_prefix(slash + 1);
  }
  for (std::string_view algorithm : {"sha1:", "sha256:"}) {
    if (revision.starts_with(algorithm)) {
      revision.remove_prefix(algorithm.size());
      break;
    }
  }
  if (!is_object_id(revision)) return std::nullopt;
  return std::string(revision);
}

RolloutVerdict rollout_verdict(std::string_view reason, std::string_view severity) {
  // Flux marks every event of a failed reconciliation `error`, whatever reason the controller
  // gives it (PruneFailed, a dependency that failed, reasons of newer controllers): none may be
  // taken for progress, or the deployment waits for the timeout and reports the wrong cause.
  if (severity == "error") return RolloutVerdict::kFailed;
  if (reason == "ReconciliationSucceeded") return RolloutVerdict::kHealthy;
  static constexpr std::array<std::string_view, 4> kFailures{
      "HealthCheckFailed", "ReconciliationFailed", "BuildFailed", "ArtifactFailed"};
  for (auto failure : kFailures) {
    if (reason == failure) return RolloutVerdict::kFailed;
  }
  return RolloutVerdict::kNone;
}

}  // namespace juanie::pipelines
