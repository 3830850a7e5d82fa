// Security review of migration 15 (daemon/store/schema.cpp): `via` on an existing database.
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

// A version 14 database holds an approval decided by link and the audit of link decisions,
// among them refusals whose `action` is whatever the link's form posted as `decision` (the
// flow's refuse records `r.decision` when it is not empty). After migration 15 every one of
// them came by link; the approval is `via link` (it is), and nothing else is marked.
//
// FINDING (low): migration 15 marks audit rows by their action name
// (`UPDATE audit SET via = 'link' WHERE action IN ('approve', 'reject', 'decide')`), so a link
// decision refused for its decision text ('yes', 'Approve', ...) keeps via NULL: the audit no
// longer says how that refused decision came. Marking by what the row is
// (`deployment_id IS NOT NULL AND actor <> 'juanie' AND action NOT IN ('trigger', 'cancel',
// 'rollback', ...)`) or leaving every pre-15 row NULL (unknown) is consistent; the name list
// is neither.
TEST(ReviewMigration15, EveryPre15LinkDecisionInTheAuditIsMarkedLink) {
  test::TempDir dir;
  auto db = Database::open(dir / "juanie.db", false);
  ASSERT_TRUE(db);
  ASSERT_TRUE(configure_writer(*db));
  ASSERT_TRUE(migrate(*db, 14));
  ASSERT_TRUE(db->exec(
      "INSERT INTO runs (id, project, ref, ref_kind, branch, sha, environment, deploy_trigger, "
      "trigger, state, created_at) VALUES (7, 'shop-api', 'refs/heads/main', 'branch', 'main', "
      "'abc', 'prod', 'manual', 'push', 'succeeded', '2026-11-01T00:00:00Z');"
      "INSERT INTO deployments (id, run_id, project, environment, state, image, tag, digest, "
      "created_at, expires_at) VALUES (3, 7, 'shop-api', 'prod', 'awaiting_approval', 'r/app', "
      "'abc', 'sha256:1', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z');"
      "INSERT INTO approvals (deployment_id, approver, decision, decided_at, token_nonce) VALUES "
      "(3, 'bob', 'approve', '2026-11-01T00:01:00Z', 'n1');"
      "INSERT INTO audit (at, action, actor, deployment_id, outcome, detail) VALUES "
      "('t', 'request_approvals', 'juanie', 3, 'done', '1 of 2'),"
      "('t', 'trigger', 'ops', 3, 'done', ''),"
      "('t', 'approve', 'bob', 3, 'done', 'ok'),"
      "('t', 'decide', 'carol', 3, 'refused', '403: This link has expired'),"
      "('t', 'yes', 'carol', 3, 'refused', '400: The form did not say approve or reject.'),"
      "('t', 'Approve', 'carol', 3, 'refused', '400: The form did not say approve or reject.');"))
      << "a version 14 database";
  ASSERT_TRUE(migrate(*db));
  auto approvals = approvals_of(*db, 3);
  ASSERT_TRUE(approvals);
  ASSERT_EQ(approvals->size(), 1u);
  EXPECT_EQ((*approvals)[0].via, "link");
  EXPECT_EQ(count(*db, "SELECT count(*) FROM audit WHERE via IS NULL AND action IN "
                       "('request_approvals', 'trigger')"),
            2)
      << "no decision: no via";
  EXPECT_EQ(count(*db, "SELECT count(*) FROM audit WHERE via IS NULL AND actor = 'carol'"), 0)
      << "carol's refused link decisions lost how they came";
}

}  // namespace
}  // namespace juanie::daemon::store
