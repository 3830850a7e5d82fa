#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace juanie::daemon::web {

// /deployments/{id} as a pure function of what it shows: the deployment, the decisions given
// (who, when, how), and — only for a signed-in approver of its environment while it waits —
// the Approve and Reject form.

struct DecisionRow {
  std::string approver;
  std::string decision;  // approve | reject
  std::string comment;
  std::string at;
  std::string via;  // link | page
};

struct DeploymentView {
  std::string signed_in_as;
  std::string csrf;
  std::int64_t id = 0;
  std::string project;
  std::string environment;
  std::string state;
  std::string reason;
  std::string image;
  std::string tag;
  std::string digest;
  std::int64_t run = 0;
  std::string sha;
  std::string branch;
  std::string commit_subject;
  std::string pusher;
  std::string triggered_by;  // "token (for person)", or "" when deployed on push
  std::string triggered_at;
  std::string created_at;
  std::string finished_at;
  std::string expires_at;
  std::string gitops_commit;
  std::string committed_at;
  std::optional<std::int64_t> rollback_of;
  std::string rollback_commit;
  std::vector<std::string> approvers;  // of the environment's gate; empty: no gate
  int required = 0;
  std::vector<DecisionRow> decisions;
  bool may_decide = false;  // the form is shown
  std::string why_not;      // to a signed-in person who sees no form while it waits
  std::string outcome;      // what their decision did (a refusal is shown as an alert)
  bool outcome_refused = false;
};

std::string deployment_page(const DeploymentView& v);

}  // namespace juanie::daemon::web
