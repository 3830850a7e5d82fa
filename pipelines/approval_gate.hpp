#pragma once

#include <functional>
#include <map>
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
// The audit log's action for a posted decision: "approve" or "reject", else "decide" — never
// the posted text itself, which whoever sends the form chooses.
std::string_view decision_action(std::string_view posted);

struct Recorded {
  std::string approver;
  Decision decision = Decision::kApprove;
};

enum class Verdict { kWaiting, kApproved, kRejected };
// Any rejection stops the deployment; `required` distinct approvals let it through.
Verdict tally(const Gate& gate, const std::vector<Recorded>& decisions);

// One person as a project knows them: the approver's name, their e-mail address and their
// login on each forge ("github", "gitlab", "gitea").
struct Person {
  std::string name;
  std::string email;
  std::map<std::string, std::string, std::less<>> logins;
};

// Everyone a deployment came from. Logins and e-mails are what the forge said about the push
// (the pusher and sender, every commit's author and committer); `triggered` names whoever
// started it by hand (the person an API token belongs to, the user of `juanie trigger`).
struct Authors {
  std::string forge;                // github | gitlab | gitea; the namespace of `logins`
  std::vector<std::string> logins;  // pusher, sender
  std::vector<std::string> emails;  // commit authors and committers, the pusher's address
  std::vector<std::string> triggered;
};

// Whether `approver` is one of `authors`, and how ("pushed", "authored a commit of",
// "triggered"); nullopt when not. Names, logins and addresses compare without case; an
// approver's name counts as a login too, and a GitHub noreply address as its login.
std::optional<std::string> authorship(const Person& approver, const Authors& authors);

// Whether `approver` may decide now. An author of the deployment may reject it but not approve
// it (unless the environment allows). The error is a sentence fit for the approver's eyes.
Result<void> may_decide(const Gate& gate, const Person& approver, Decision decision,
                        const Authors& authors, const std::vector<Recorded>& decisions);

}  // namespace juanie::pipelines
