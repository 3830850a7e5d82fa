#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/approvals/link_token.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_config.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/store/database.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/runs.hpp"
#include "pipelines/approval_gate.hpp"

namespace juanie::daemon::approvals {

using TimePoint = std::chrono::system_clock::time_point;

// What happens to a deployment after a step of the flow.
enum class Next {
  kWait,      // pending (manual trigger) or awaiting approval, or ended
  kCarryOut,  // the GitOps write may be made now
};

// A decision as posted from an approval link's page or from the status page, with where it
// came from. Both go through `ApprovalFlow::decide`: the same rules, whichever way it came.
struct DecisionRequest {
  // What the decision is about, and by whom. From a link: its verified claims. From the status
  // page: the deployment, the signed-in person as approver, the environment and image digest
  // the page showed, the deployment's deadline; no nonce (one decision per person holds).
  LinkClaims claims;
  std::string decision;  // approve | reject
  std::string comment;
  std::string source_address;
  std::string user_agent;
  std::string via = "link";  // link | page: recorded with the decision and in the audit log
};

// The nonce a status-page decision is stored with: approvals need one, and a person decides a
// deployment once, so it is unique without being drawn.
std::string page_nonce(std::int64_t deployment, const std::string& approver);

// The answer to a decision or a refusal: an HTTP status and sentences for the page.
struct DecisionOutcome {
  int status = 200;
  std::string title;
  std::string message;
  Next next = Next::kWait;
};

// The deployment state machine's approval half, as steps that run inside the caller's write
// transaction: each changes the deployment, records the audit entry and puts the messages it
// causes in the outbox, all or nothing.
class ApprovalFlow {
 public:
  ApprovalFlow(const config::DaemonConfig& daemon, std::vector<SigningKey> keys,
               const notify::Notifier& notifier)
      : daemon_(daemon), keys_(std::move(keys)), notifier_(notifier) {}

  // A deployment just recorded `pending`: older waiting ones to its environment are cancelled
  // as superseded; then it waits for its manual trigger, or for approvals (requests sent), or
  // may go at once.
  Result<Next> admit(store::Database& db, const config::ProjectConfig& project,
                     const store::RunRecord& run, const store::DeploymentRecord& d,
                     TimePoint now) const;

  // `pending` → awaiting approval (requests sent) or `running` (no gate), by `who` (a token or
  // user name) on behalf of `person` (an approver's name, or "" when unknown).
  Result<Next> trigger(store::Database& db, const config::ProjectConfig& project,
                       std::int64_t deployment, const std::string& who, const std::string& person,
                       TimePoint now) const;

  // Records an approver's decision from a verified link or a signed-in person's status page.
  // Refusals change nothing but the audit log. On the last approval the deployment becomes
  // `running`; a rejection cancels it.
  Result<DecisionOutcome> decide(store::Database& db, const config::ProjectConfig& project,
                                 const DecisionRequest& request, TimePoint now) const;

  // An operator withdraws a waiting (`pending` or `awaiting_approval`) deployment.
  Result<void> withdraw(store::Database& db, const config::ProjectConfig& project,
                        std::int64_t deployment, const std::string& who, TimePoint now) const;

  // A rollback just recorded `pending` (by `who`): it waits for approvals where the
  // environment gates changes and does not say `rollback_approval: none`; otherwise it is
  // `running` at once (so a crash before its write leaves it to be carried out).
  Result<Next> admit_rollback(store::Database& db, const config::ProjectConfig& project,
                              const store::DeploymentRecord& d, TimePoint now) const;

  // Where a GitOps write or Flux's verdict leaves a deployment: `deploying` (committed, Flux
  // to report), `success` or `failed` (with their notifications). A rollback's commit also
  // marks the failed deployment it undoes `rolled_back`, naming the commit, and says so.
  Result<void> finish(store::Database& db, const config::ProjectConfig& project,
                      std::int64_t deployment, pipelines::DeploymentState to,
                      const std::optional<std::string>& reason,
                      const std::optional<std::string>& commit, TimePoint now) const;

  // Deployments awaiting approval past their deadline are cancelled as expired. `project_of`
  // finds a deployment's project (nullptr when it is gone: cancelled without notification).
  Result<int> expire_due(
      store::Database& db,
      const std::function<const config::ProjectConfig*(const std::string&)>& project_of,
      TimePoint now) const;

  // The approval link of `approver` for a deployment awaiting approval.
  Result<std::string> link(store::Database& db, const config::ProjectConfig& project,
                           std::int64_t deployment, const std::string& approver) const;

  // The base of links: public_url, or http://listen when none is configured.
  std::string public_base() const;
  // The port the server bound when listen asked for any (port 0).
  void bound_to(std::uint16_t port) { bound_port_ = port; }
  const std::vector<SigningKey>& keys() const { return keys_; }

 private:
  Result<void> request_approvals(store::Database& db, const config::ProjectConfig& project,
                                 const store::RunRecord& run, const store::DeploymentRecord& d,
                                 TimePoint now) const;
  Result<void> record_rollback(store::Database& db, const config::ProjectConfig& project,
                               const store::DeploymentRecord& rollback, const std::string& commit,
                               TimePoint now) const;
  Result<void> cancel(store::Database& db, const config::ProjectConfig& project,
                      const store::DeploymentRecord& d, const std::string& reason,
                      const std::string& action, TimePoint now) const;
  std::string link_for(const store::DeploymentRecord& d, const std::string& approver,
                       std::int64_t expires) const;

  const config::DaemonConfig& daemon_;
  std::vector<SigningKey> keys_;
  const notify::Notifier& notifier_;
  std::atomic<std::uint16_t> bound_port_{0};
};

// Everyone the deployment came from, as the approval gate compares them with an approver.
pipelines::Authors authors_of(const store::DeploymentRecord& d, const store::RunRecord* run);
// An approver of the project as the gate knows them (only the name when not configured).
pipelines::Person person_of(const config::ProjectConfig& project, const std::string& approver);

// The fields every notification about a deployment carries.
notify::Fields deployment_fields(const store::DeploymentRecord& d, const store::RunRecord* run);

}  // namespace juanie::daemon::approvals
