#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace juanie::pipelines {

// The commit a Flux revision names: "main@sha1:<id>" (notification-controller v1.5 and later),
// "main/<id>" (older), "sha1:<id>" or "<id>" alone; nullopt when it names none.
std::optional<std::string> revision_commit(std::string_view revision);

// What a Flux event about an environment's Kustomization says of the rollout of its revision.
enum class RolloutVerdict {
  kHealthy,  // applied and healthy: the deployment succeeded
  kFailed,   // it will not become healthy without a new change
  kNone,     // progress or noise: nothing changes
};

// By the event's severity, then its reason: any event of severity `error` fails, whatever its
// reason (even one that would otherwise say progress, such as DependencyNotReady);
// ReconciliationSucceeded is healthy; HealthCheckFailed, ReconciliationFailed, BuildFailed and
// ArtifactFailed fail at any severity; every other `info` event (Progressing,
// DependencyNotReady, reasons we do not know) says nothing.
RolloutVerdict rollout_verdict(std::string_view reason, std::string_view severity);

}  // namespace juanie::pipelines
