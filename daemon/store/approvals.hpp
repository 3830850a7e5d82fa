#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/database.hpp"
#include "pipelines/approval_gate.hpp"

namespace juanie::daemon::store {

struct ApprovalRecord {
  std::int64_t id = 0;
  std::int64_t deployment = 0;
  std::string approver;
  pipelines::Decision decision = pipelines::Decision::kApprove;
  std::string comment;
  std::string decided_at;
  std::string source_address;
  std::string user_agent;
  std::string token_nonce;
  std::string via = "link";  // link | page: how the decision came
};

// Fails (writing nothing) when the nonce was used or the approver already decided.
Result<void> insert_approval(Database& db, const ApprovalRecord& a);
Result<std::vector<ApprovalRecord>> approvals_of(Database& db, std::int64_t deployment);
Result<bool> nonce_used(Database& db, const std::string& nonce);

// The deployments awaiting approval, and since when the longest-waiting one has (its last
// request for approvals in the audit log; else when it was triggered or made): for metrics.
struct ApprovalsWaiting {
  std::int64_t deployments = 0;
  std::optional<std::string> oldest_since;  // RFC 3339; nullopt when none waits
};
Result<ApprovalsWaiting> approvals_waiting(Database& db);

struct AuditEntry {
  std::string at;
  std::string action;  // approve | reject | trigger | expire | supersede | approval_link ...
  std::string actor;
  std::optional<std::int64_t> deployment;
  std::string outcome;  // done | refused
  std::string detail;
  std::string source_address;
  std::string user_agent;
  std::string via = "";  // link | page for an approver's decision; "" for anything else
};

Result<void> append_audit(Database& db, const AuditEntry& e);
Result<std::vector<AuditEntry>> audit_of(Database& db, std::optional<std::int64_t> deployment,
                                         int limit);

}  // namespace juanie::daemon::store
