#include "pipelines/approval_gate.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace juanie::pipelines {
namespace {

bool same_person(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty() || a.size() != b.size()) return false;
  return std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::optional<Gate> gate_of(const Environment& environment) {
  if (environment.approval == Approval::kNone) return std::nullopt;
  if (environment.approval == Approval::kOptional && environment.required_approvals < 1) {
    return std::nullopt;
  }
  return Gate{environment.approvers, std::max(1, environment.required_approvals),
              environment.allow_self_approval};
}

std::string_view to_string(Decision decision) {
  return decision == Decision::kApprove ? "approve" : "reject";
}

std::optional<Decision> parse_decision(std::string_view text) {
  if (text == "approve") return Decision::kApprove;
  if (text == "reject") return Decision::kReject;
  return std::nullopt;
}

Verdict tally(const Gate& gate, const std::vector<Recorded>& decisions) {
  std::set<std::string> approved;
  for (const auto& d : decisions) {
    if (d.decision == Decision::kReject) return Verdict::kRejected;
    if (std::find(gate.approvers.begin(), gate.approvers.end(), d.approver) != gate.approvers.end()) {
      approved.insert(d.approver);
    }
  }
  return static_cast<int>(approved.size()) >= gate.required ? Verdict::kApproved : Verdict::kWaiting;
}

Result<void> may_decide(const Gate& gate, const std::string& approver, const std::string& email,
                        Decision decision, const Requesters& requesters,
                        const std::vector<Recorded>& decisions) {
  if (std::find(gate.approvers.begin(), gate.approvers.end(), approver) == gate.approvers.end()) {
    return fail(approver + " is not an approver of this environment");
  }
  for (const auto& d : decisions) {
    if (d.approver == approver) return fail(approver + " has already decided on this deployment");
  }
  if (!gate.allow_self_approval && decision == Decision::kApprove) {
    const bool pushed = same_person(approver, requesters.pusher) ||
                        same_person(email, requesters.pusher_email) ||
                        same_person(email, requesters.pusher);
    const bool triggered = same_person(approver, requesters.triggered_by) ||
                           same_person(email, requesters.triggered_by);
    if (pushed || triggered) {
      return fail(approver + (pushed ? " pushed" : " triggered") +
                  " this deployment and cannot approve it: another approver must");
    }
  }
  return {};
}

}  // namespace juanie::pipelines
