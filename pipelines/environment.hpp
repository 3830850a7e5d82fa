#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/error.hpp"

namespace juanie::pipelines {

enum class Approval { kNone, kOptional, kRequired };

std::string_view to_string(Approval approval);
std::optional<Approval> parse_approval(std::string_view text);

// What happens when a rollout fails: the previous good image is committed back at once (auto),
// or the environment stays as it is until a person rolls back (manual).
enum class Rollback { kAuto, kManual };

std::string_view to_string(Rollback rollback);
std::optional<Rollback> parse_rollback(std::string_view text);

// One deployment target of a project and the policy that guards it.
struct Environment {
  std::string name;
  std::string kube_namespace;
  int replicas = 1;
  std::string resources = "small";  // small | medium | large
  Approval approval = Approval::kNone;
  std::vector<std::string> approvers;
  int required_approvals = 0;
  bool allow_self_approval = true;
  // How long a deployment may wait for its approvals; 0: the daemon's approvals.link_ttl.
  std::chrono::seconds approval_timeout{0};
  Rollback rollback = Rollback::kAuto;
  // false (`rollback_approval: none`): a rollback goes without the approvals a change needs.
  bool rollback_needs_approval = true;
};

// The platform's defaults: dev (no approval), staging (optional), prod (required, no
// self-approval, rolled back by hand). A project may override any field; prod can never drop its
// approval.
std::vector<Environment> default_environments();

bool is_resource_class(std::string_view text);

// Policy checks that hold whatever the source of the values. The error names the offending
// field relative to the environment ("approvers: ...").
Result<void> check_policy(const Environment& environment);

}  // namespace juanie::pipelines
