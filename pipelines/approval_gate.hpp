#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/environment.hpp"
#include "pipelines/error.hpp"

// The approval gate of an environment, as pure rules: who may decide, and when the decisions
// so far let a deployment through or stop it.
namespace juanie::pipelines {

struct Gate {
  std::vector<std::string> approvers;
  int required = 0;
  bool allow_self_approval = false;
};

// nullopt when the environment deploys without approval: `none`, or `optional` with no
// approvals asked for (the project has not turned staging's gate on).
std::optional<Gate> gate_of(const Environment& environment);

enum class Decision { kApprove, kReject };
std::string_view to_string(Decision decision);
std::optional<Decision> parse_decision(std::string_view text);

struct Recorded {
  std::string approver;
  Decision decision = Decision::kApprove;
};

enum class Verdict { kWaiting, kApproved, kRejected };
// Any rejection stops the deployment; `required` distinct approvals let it through.
Verdict tally(const Gate& gate, const std::vector<Recorded>& decisions);

// The people a deployment came from: whoever pushed the commit and whoever triggered it.
struct Requesters {
  std::string pusher;
  std::string pusher_email;
  std::string triggered_by;
};

// Whether `approver` (with `email` from the project's approvers) may decide now. Whoever pushed
// or triggered may reject their own deployment but not approve it (unless the environment
// allows). The error is a sentence fit for the approver's eyes.
Result<void> may_decide(const Gate& gate, const std::string& approver, const std::string& email,
                        Decision decision, const Requesters& requesters,
                        const std::vector<Recorded>& decisions);

}  // namespace juanie::pipelines
