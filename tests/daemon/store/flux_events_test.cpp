#include "daemon/store/flux_events.hpp"

#include <gtest/gtest.h>

#include "daemon/flux/flux_event.hpp"
#include "daemon/store/schema.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

namespace juanie::daemon::store {
namespace {

class FluxEventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(test::open_database(dir / "juanie.db", db)); }

  static flux::FluxEvent event(const std::string& reason, const std::string& commit) {
    flux::FluxEvent e;
    e.kind = "Kustomization";
    e.name = "shop-api-dev";
    e.namespace_ = "flux-system";
    e.severity = reason == "ReconciliationSucceeded" ? "info" : "error";
    e.reason = reason;
    e.message = reason + " for " + commit;
    e.timestamp = "2026-11-30T10:00:00Z";
    e.revision = "main@sha1:" + commit;
    e.commit = commit;
    return e;
  }

  test::TempDir dir;
  std::optional<Database> db;
};

const std::string kA(40, 'a');
const std::string kB(40, 'b');

TEST_F(FluxEventStoreTest, TheSameNewsIsKeptOnceAndOtherNewsApart) {
  auto first = record_flux_event(*db, "shop-api", event("ReconciliationSucceeded", kA), "t1");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->created);
  // Flux says it again at the next reconciliation: the same news, the first one's id.
  auto again = record_flux_event(*db, "shop-api", event("ReconciliationSucceeded", kA), "t2");
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, first->id);
  // Another reason, another revision or another project is other news.
  auto failed = record_flux_event(*db, "shop-api", event("HealthCheckFailed", kA), "t3");
  auto next = record_flux_event(*db, "shop-api", event("ReconciliationSucceeded", kB), "t4");
  auto other = record_flux_event(*db, "billing", event("ReconciliationSucceeded", kA), "t5");
  for (const auto* r : {&failed, &next, &other}) {
    ASSERT_TRUE(*r);
    EXPECT_TRUE((*r)->created);
  }
  auto pending = unprocessed_flux_events(*db, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 4u);
  EXPECT_EQ((*pending)[0].received_at, "t1");
  EXPECT_EQ((*pending)[0].event.commit, kA);
  EXPECT_EQ((*pending)[1].event.reason, "HealthCheckFailed");
  EXPECT_EQ((*pending)[1].event.message, "HealthCheckFailed for " + kA);
  EXPECT_EQ((*pending)[3].project, "billing");
}

TEST_F(FluxEventStoreTest, AnEventIsActedOnOnce) {
  auto stored = record_flux_event(*db, "shop-api", event("HealthCheckFailed", kA), "t1");
  ASSERT_TRUE(stored);
  ASSERT_TRUE(set_flux_event_outcome(*db, stored->id, "applied", "t2"));
  auto twice = set_flux_event_outcome(*db, stored->id, "applied", "t3");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(set_flux_event_outcome(*db, 999, "applied", "t3").error().kind, ErrorKind::kConflict);
  auto pending = unprocessed_flux_events(*db, 10);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
  // The same revision deployed again fails again: new news once the first was acted on.
  auto later = record_flux_event(*db, "shop-api", event("HealthCheckFailed", kA), "t4");
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->created);
  EXPECT_NE(later->id, stored->id);
}

TEST_F(FluxEventStoreTest, NoFieldsTextPassesForAnotherFieldsBoundary) {
  auto a = event("HealthCheckFailed", kA);
  a.namespace_ = "a/b";
  a.name = "c";
  auto b = a;
  b.namespace_ = "a";
  b.name = "b/c";
  auto no_revision = a;
  no_revision.revision.reset();
  auto empty_revision = a;
  empty_revision.revision = "";
  for (const auto* e : {&a, &b, &no_revision, &empty_revision}) {
    auto stored = record_flux_event(*db, "shop-api", *e, "t1");
    ASSERT_TRUE(stored);
    EXPECT_TRUE(stored->created) << e->namespace_ << " " << e->name;
  }
}

TEST_F(FluxEventStoreTest, AnEventWithoutARevisionIsStoredToo) {
  auto e = event("ArtifactFailed", kA);
  e.revision.reset();
  e.commit.reset();
  auto stored = record_flux_event(*db, "shop-api", e, "t1");
  ASSERT_TRUE(stored);
  EXPECT_FALSE(record_flux_event(*db, "shop-api", e, "t2")->created);
  auto pending = unprocessed_flux_events(*db, 10);
  ASSERT_TRUE(pending && pending->size() == 1u);
  EXPECT_FALSE((*pending)[0].event.revision.has_value());
}

}  // namespace
}  // namespace juanie::daemon::store
