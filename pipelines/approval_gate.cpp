#include "pipelines/approval_gate.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "pipelines/ascii.hpp"

namespace juanie::pipelines {
namespace {

bool same_person(std::string_view a, std::string_view b) {
  return !a.empty() && ascii_iequals(a, b);
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

std::string_view decision_action(std::string_view posted) {
  const auto decision = parse_decision(posted);
  return decision ? to_string(*decision) : "decide";
}

Verdict tally(const Gate& gate, const std::vector<Recorded>& decisions) {
  std::set<std::string> approved;
  for (const auto& d : decisions) {
    if (d.decision == Decision::kReject) return Verdict::kRejected;
    if (std::find(gate.approvers.begin(), gate.approvers.end(), d.approver) !=
        gate.approvers.end()) {
      approved.insert(d.approver);
    }
  }
  return static_cast<int>(approved.size()) >= gate.required ? Verdict::kApproved
                                                            : Verdict::kWaiting;
}

std::optional<std::string> authorship(const Person& approver, const Authors& authors) {
  auto login_of = [&](std::string_view login) {
    if (same_person(approver.name, login)) return true;
    const auto it = approver.logins.find(authors.forge);
    return it != approver.logins.end() && same_person(it->second, login);
  };
  for (const auto& login : authors.logins) {
    if (login_of(login)) return "pushed";
  }
  for (const auto& email : authors.emails) {
    if (same_person(approver.email, email)) return "authored a commit of";
    // <id>+<login>@users.noreply.github.com, or <login>@… for older accounts.
    constexpr std::string_view kNoreply = "@users.noreply.github.com";
    if (authors.forge == "github" && email.size() > kNoreply.size() &&
        same_person(std::string_view(email).substr(email.size() - kNoreply.size()), kNoreply)) {
      std::string_view local = std::string_view(email).substr(0, email.size() - kNoreply.size());
      if (const auto plus = local.find('+'); plus != std::string_view::npos)
        local.remove_prefix(plus + 1);
      if (login_of(local)) return "authored a commit of";
    }
  }
  for (const auto& who : authors.triggered) {
    if (same_person(approver.name, who) || same_person(approver.email, who)) return "triggered";
  }
  return std::nullopt;
}

Result<void> may_decide(const Gate& gate, const Person& approver, Decision decision,
                        const Authors& authors, const std::vector<Recorded>& decisions) {
  const std::string& name = approver.name;
  if (std::find(gate.approvers.begin(), gate.approvers.end(), name) == gate.approvers.end()) {
    return fail(ErrorKind::kForbidden, name + " is not an approver of this environment");
  }
  for (const auto& d : decisions) {
    if (d.approver == name)
      return fail(ErrorKind::kConflict, name + " has already decided on this deployment");
  }
  if (!gate.allow_self_approval && decision == Decision::kApprove) {
    if (const auto how = authorship(approver, authors)) {
      return fail(
          ErrorKind::kForbidden,
          name + " " + *how + " this deployment and cannot approve it: another approver must");
    }
  }
  return {};
}

}  // namespace juanie::pipelines
