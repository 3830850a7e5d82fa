#include "daemon/store/approvals.hpp"

#include "daemon/store/state_column.hpp"

namespace juanie::daemon::store {
namespace {

std::optional<std::string> nonempty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

Result<void> insert_approval(Database& db, const ApprovalRecord& a) {
  auto stmt = db.prepare(
      "INSERT INTO approvals (deployment_id, approver, decision, comment, decided_at, "
      "source_address, user_agent, token_nonce, via) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, a.deployment)
      .bind(2, a.approver)
      .bind(3, pipelines::to_string(a.decision))
      .bind_optional(4, nonempty(a.comment));
  stmt->bind(5, a.decided_at).bind_optional(6, nonempty(a.source_address));
  stmt->bind_optional(7, nonempty(a.user_agent)).bind(8, a.token_nonce).bind(9, a.via);
  return stmt->run();
}

Result<std::vector<ApprovalRecord>> approvals_of(Database& db, std::int64_t deployment) {
  auto stmt = db.prepare(
      "SELECT id, deployment_id, approver, decision, coalesce(comment, ''), decided_at, "
      "coalesce(source_address, ''), coalesce(user_agent, ''), token_nonce, via FROM approvals "
      "WHERE deployment_id = ?1 ORDER BY id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, deployment);
  std::vector<ApprovalRecord> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(ApprovalRecord{stmt->int64(0), stmt->int64(1), stmt->text(2),
                                 state_column(*stmt, 3, pipelines::parse_decision), stmt->text(4),
                                 stmt->text(5), stmt->text(6), stmt->text(7), stmt->text(8),
                                 stmt->text(9)});
  }
}

Result<bool> nonce_used(Database& db, const std::string& nonce) {
  auto stmt = db.prepare("SELECT 1 FROM approvals WHERE token_nonce = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, nonce);
  return stmt->step();
}

Result<void> append_audit(Database& db, const AuditEntry& e) {
  auto stmt = db.prepare(
      "INSERT INTO audit (at, action, actor, deployment_id, outcome, detail, source_address, "
      "user_agent, via) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, e.at).bind(2, e.action).bind_optional(3, nonempty(e.actor));
  if (e.deployment) {
    stmt->bind(4, *e.deployment);
  } else {
    stmt->bind(4, std::nullopt);
  }
  stmt->bind(5, e.outcome).bind_optional(6, nonempty(e.detail));
  stmt->bind_optional(7, nonempty(e.source_address)).bind_optional(8, nonempty(e.user_agent));
  stmt->bind_optional(9, nonempty(e.via));
  return stmt->run();
}

Result<std::vector<AuditEntry>> audit_of(Database& db, std::optional<std::int64_t> deployment,
                                         int limit) {
  auto stmt = db.prepare(
      "SELECT at, action, coalesce(actor, ''), deployment_id, outcome, coalesce(detail, ''), "
      "coalesce(source_address, ''), coalesce(user_agent, ''), coalesce(via, '') FROM audit "
      "WHERE CAST(?1 AS BIGINT) IS NULL OR deployment_id = ?1 ORDER BY id DESC LIMIT ?2");
  if (!stmt) return std::unexpected(stmt.error());
  if (deployment) {
    stmt->bind(1, *deployment);
  } else {
    stmt->bind(1, std::nullopt);
  }
  stmt->bind(2, static_cast<std::int64_t>(limit));
  std::vector<AuditEntry> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    AuditEntry e{stmt->text(0), stmt->text(1), stmt->text(2), std::nullopt, stmt->text(4),
                 stmt->text(5), stmt->text(6), stmt->text(7), stmt->text(8)};
    if (!stmt->is_null(3)) e.deployment = stmt->int64(3);
    out.push_back(std::move(e));
  }
}

Result<ApprovalsWaiting> approvals_waiting(Database& db) {
  // A deployment waits from the moment approvals were requested for it (at its trigger when
  // it needed one): the audit log has that moment; the deployment's own times stand in for a
  // row the audit log lacks.
  auto stmt = db.prepare(
      "SELECT count(*), min(coalesce((SELECT max(a.at) FROM audit a WHERE a.deployment_id = d.id "
      "AND a.action = 'request_approvals'), d.triggered_at, d.created_at)) "
      "FROM deployments d WHERE d.state = 'awaiting_approval'");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return ApprovalsWaiting{stmt->int64(0), stmt->optional_text(1)};
}

}  // namespace juanie::daemon::store
