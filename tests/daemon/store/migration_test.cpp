// Upgrades of an existing database: what the migrations make of rows written before them.
#include <gtest/gtest.h>

#include "daemon/store/approvals.hpp"
#include "daemon/store/schema.hpp"
#include "support/temp_dir.hpp"

namespace juanie::daemon::store {
namespace {

long long count(Database& db, const std::string& sql) {
  auto s = db.prepare(sql);
  if (!s || !s->step().value_or(false)) return -1;
  return s->int64(0);
}

// A deployment waiting for two approvals, of a run, in a database at `version`.
void deployment_at(Database& db, int version) {
  ASSERT_TRUE(configure_writer(db));
  ASSERT_TRUE(migrate(db, version));
  ASSERT_TRUE(db.exec(
      "INSERT INTO runs (id, project, ref, ref_kind, branch, sha, environment, deploy_trigger, "
      "trigger, state, created_at) VALUES (7, 'shop-api', 'refs/heads/main', 'branch', 'main', "
      "'abc', 'prod', 'manual', 'push', 'succeeded', '2026-11-01T00:00:00Z');"
      "INSERT INTO deployments (id, run_id, project, environment, state, image, tag, digest, "
      "created_at, expires_at) VALUES (3, 7, 'shop-api', 'prod', 'awaiting_approval', 'r/app', "
      "'abc', 'sha256:1', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z');"));
}

// The audit of a version 14 database: the daemon's own rows, an operator's trigger, and link
// decisions — one recorded, and refusals whose `action` is whatever the link's form posted as
// `decision` (version 14 wrote it as it came when it was not empty).
constexpr const char* kVersion14Audit =
    "INSERT INTO approvals (deployment_id, approver, decision, decided_at, token_nonce) VALUES "
    "(3, 'bob', 'approve', '2026-11-01T00:01:00Z', 'n1');"
    "INSERT INTO audit (at, action, actor, deployment_id, outcome, detail) VALUES "
    "('t', 'request_approvals', 'juanie', 3, 'done', '1 of 2'),"
    "('t', 'trigger', 'ops', 3, 'done', ''),"
    "('t', 'approve', 'bob', 3, 'done', 'ok'),"
    "('t', 'decide', 'carol', 3, 'refused', '403: This link has expired'),"
    "('t', 'yes', 'carol', 3, 'refused', '400: The form did not say approve or reject.'),"
    "('t', 'Approve', 'carol', 3, 'refused', '400: The form did not say approve or reject.'),"
    "('t', 'trigger', 'carol', 3, 'refused', '410: Too late to decide'),"
    "('t', 'cancel', 'juanie', 3, 'done', 'rejected by dave');";

// Migration 15 marked audit rows `via link` by action name, so carol's refused link decisions
// posted as 'yes', 'Approve' and 'trigger' lost how they came; 16 marks every pre-15 decision
// by what it is (refused, or a recorded approve/reject) and leaves the rest, which are no
// decision, without a `via`.
TEST(Migrations, EveryLinkDecisionOfAVersion14AuditIsMarkedLink) {
  test::TempDir dir;
  auto db = Database::open(dir / "juanie.db", false);
  ASSERT_TRUE(db);
  deployment_at(*db, 14);
  ASSERT_TRUE(db->exec(kVersion14Audit)) << "a version 14 database";
  ASSERT_TRUE(migrate(*db));
  auto approvals = approvals_of(*db, 3);
  ASSERT_TRUE(approvals);
  ASSERT_EQ(approvals->size(), 1u);
  EXPECT_EQ((*approvals)[0].via, "link");
  EXPECT_EQ(count(*db, "SELECT count(*) FROM audit WHERE via IS NULL"), 3)
      << "request_approvals, the operator's trigger and the cancel are no decision: no via";
  EXPECT_EQ(count(*db,
                  "SELECT count(*) FROM audit WHERE via IS NULL AND actor IN ('bob', "
                  "'carol')"),
            0)
      << "a link decision lost how it came";
  EXPECT_EQ(count(*db, "SELECT count(*) FROM audit WHERE via = 'link'"), 5);
}

// A database already at 15 holds rows written since with their `via`: page decisions stay
// page decisions, and the daemon's rows stay without one.
TEST(Migrations, RowsWrittenSince15KeepTheirVia) {
  test::TempDir dir;
  auto db = Database::open(dir / "juanie.db", false);
  ASSERT_TRUE(db);
  deployment_at(*db, 14);
  ASSERT_TRUE(db->exec(kVersion14Audit));
  ASSERT_TRUE(migrate(*db, 15));
  ASSERT_TRUE(
      db->exec("INSERT INTO audit (at, action, actor, deployment_id, outcome, detail, via) VALUES "
               "('u', 'decide', 'alice', 3, 'refused', '400: Choose approve or reject', 'page'),"
               "('u', 'reject', 'alice', 3, 'done', '', 'page'),"
               "('u', 'decide', 'erin', 3, 'refused', '403: not for this deployment', 'link'),"
               "('u', 'expire', 'juanie', 3, 'done', 'past its deadline', NULL);"));
  ASSERT_TRUE(migrate(*db));
  EXPECT_EQ(count(*db, "SELECT count(*) FROM audit WHERE via = 'page'"), 2);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM audit WHERE via = 'link'"), 6);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM audit WHERE via IS NULL"), 4);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM audit WHERE via IS NULL AND outcome = 'refused'"), 0);
}

}  // namespace
}  // namespace juanie::daemon::store
