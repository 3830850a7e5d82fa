#include "pipelines/environment.hpp"

namespace juanie::pipelines {

std::string_view to_string(Approval approval) {
  switch (approval) {
    case Approval::kNone:
      return "none";
    case Approval::kOptional:
      return "optional";
    case Approval::kRequired:
      return "required";
  }
  return "none";
}

std::optional<Approval> parse_approval(std::string_view text) {
  if (text == "none") return Approval::kNone;
  if (text == "optional") return Approval::kOptional;
  if (text == "required") return Approval::kRequired;
  return std::nullopt;
}

std::string_view to_string(Rollback rollback) {
  return rollback == Rollback::kAuto ? "auto" : "manual";
}

std::optional<Rollback> parse_rollback(std::string_view text) {
  if (text == "auto") return Rollback::kAuto;
  if (text == "manual") return Rollback::kManual;
  return std::nullopt;
}

std::vector<Environment> default_environments() {
  std::vector<Environment> envs{
      Environment{"dev", "dev", 1, "small", Approval::kNone, {}, 0, true},
      Environment{"staging", "staging", 2, "medium", Approval::kOptional, {}, 0, true},
      Environment{"prod", "prod", 3, "large", Approval::kRequired, {}, 1, false},
  };
  envs.back().rollback = Rollback::kManual;
  return envs;
}

bool is_resource_class(std::string_view text) {
  return text == "small" || text == "medium" || text == "large";
}

Result<void> check_policy(const Environment& env) {
  if (env.replicas < 0 || env.replicas > 1000) {
    return fail("replicas: must be between 0 and 1000");
  }
  if (!is_resource_class(env.resources)) {
    return fail("resources: must be small, medium or large, not \"" + env.resources + "\"");
  }
  if (env.name == "prod" && env.approval != Approval::kRequired) {
    return fail("approval: prod always requires approval; it cannot be \"" +
                std::string(to_string(env.approval)) + "\"");
  }
  if (env.required_approvals < 0) return fail("required_approvals: must not be negative");
  if (env.approval == Approval::kRequired) {
    if (env.required_approvals < 1) {
      return fail("required_approvals: an environment that requires approval needs at least 1");
    }
    if (env.approvers.empty()) {
      return fail("approvers: " + env.name + " requires approval; name at least one approver");
    }
  }
  if (env.required_approvals > static_cast<int>(env.approvers.size()) &&
      env.approval != Approval::kNone) {
    return fail("required_approvals: " + std::to_string(env.required_approvals) +
                " approvals needed but only " + std::to_string(env.approvers.size()) +
                " approvers named");
  }
  return {};
}

}  // namespace juanie::pipelines
