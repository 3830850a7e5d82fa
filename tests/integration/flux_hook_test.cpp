// POST /hooks/flux/{project}: Flux's notification-controller (generic-hmac provider) reaches
// the real daemon over loopback; an event is verified before its body is read as JSON and
// stored before the answer.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "daemon/support/crypto.hpp"
#include "integration/daemon_fixture.hpp"

namespace juanie::test {
namespace {

const std::string kFluxKey = "shop-api-flux-hmac-key";
const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";

std::string event_body(const std::string& reason, const std::string& severity = "info") {
  return R"({"involvedObject":{"kind":"Kustomization","namespace":"flux-system",)"
         R"("name":"shop-api-dev"},"severity":")" +
         severity + R"(","timestamp":"2026-11-30T12:00:00Z","message":")" + reason +
         R"( for the revision","reason":")" + reason + R"(","metadata":{"revision":"main@sha1:)" +
         kCommit + R"("},"reportingController":"kustomize-controller"})";
}

std::vector<std::pair<std::string, std::string>> signed_by(const std::string& key,
                                                           const std::string& body) {
  return {{"Content-Type", "application/json"},
          {"X-Signature", "sha256=" + daemon::hex_encode(daemon::hmac_sha256(key, body))}};
}

class FluxHookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d.home().write("secrets/shop-api.flux", kFluxKey + "\n");
    std::ofstream(d.home() / "projects.d/shop-api.yaml", std::ios::app)
        << "flux: {hmac_key: shop-api.flux}\n";
    ASSERT_TRUE(d.start()) << d.log();
  }

  // Rows of flux_events, as "reason revision" lines in id order.
  std::vector<std::string> stored() {
    sqlite3* db = nullptr;
    EXPECT_EQ(
        sqlite3_open_v2((d.home() / "data/juanie.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
        SQLITE_OK);
    std::vector<std::string> rows;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT project || ' ' || reason || ' ' || revision FROM "
                                 "flux_events ORDER BY id",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      rows.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
  }

  Daemon d;
};

// Stored before the answer, then acted on: no deployment has this commit, so the event's
// outcome says so and nothing else changes. (A repeat while one waits is the same row:
// FluxEventStoreTest; a replay after it was acted on changes nothing: RolloutTest.)
TEST_F(FluxHookTest, ASignedEventIsStoredBeforeItsAnswerAndActedOn) {
  const auto body = event_body("ReconciliationSucceeded");
  auto first = d.request("POST", "/hooks/flux/shop-api", body, signed_by(kFluxKey, body));
  EXPECT_EQ(first.status, 202) << first.body << d.log();
  EXPECT_EQ(first.body, "{\"event\":1}\n");
  const auto failed = event_body("HealthCheckFailed", "error");
  EXPECT_EQ(d.request("POST", "/hooks/flux/shop-api", failed, signed_by(kFluxKey, failed)).status,
            202);
  ASSERT_TRUE(
      d.wait_for_log("Flux event 2 (shop-api-dev HealthCheckFailed) changed nothing: "
                     "unknown_revision"))
      << d.log();
  // Stored durably: still there after a kill -9.
  d.kill9();
  EXPECT_EQ(stored(),
            (std::vector<std::string>{"shop-api ReconciliationSucceeded main@sha1:" + kCommit,
                                      "shop-api HealthCheckFailed main@sha1:" + kCommit}));
  EXPECT_NE(d.log().find("Flux event for shop-api from 127.0.0.1 stored as 1: Kustomization "
                         "shop-api-dev ReconciliationSucceeded"),
            std::string::npos)
      << d.log();
}

TEST_F(FluxHookTest, ForgedUnsignedMalformedAndMisaddressedEventsAreRefusedAndStoreNothing) {
  const auto body = event_body("HealthCheckFailed", "error");
  struct Case {
    std::string what, method, path, body;
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
  };
  const std::vector<Case> cases{
      {"unsigned",
       "POST",
       "/hooks/flux/shop-api",
       body,
       {{"Content-Type", "application/json"}},
       401},
      {"signed with another key", "POST", "/hooks/flux/shop-api", body,
       signed_by("not-the-key", body), 401},
      {"signature of another body", "POST", "/hooks/flux/shop-api", body + " ",
       signed_by(kFluxKey, body), 401},
      {"signed but not JSON", "POST", "/hooks/flux/shop-api", "{not json",
       signed_by(kFluxKey, "{not json"), 400},
      {"signed but no involvedObject", "POST", "/hooks/flux/shop-api", R"({"reason":"X"})",
       signed_by(kFluxKey, R"({"reason":"X"})"), 400},
      {"a project without flux.hmac_key", "POST", "/hooks/flux/billing", body,
       signed_by(kFluxKey, body), 404},
      {"no such project", "POST", "/hooks/flux/nobody", body, signed_by(kFluxKey, body), 404},
      {"not a POST", "GET", "/hooks/flux/shop-api", "", {}, 405},
  };
  for (const auto& c : cases) {
    auto r = d.request(c.method, c.path, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
    EXPECT_EQ(r.body.find(kFluxKey), std::string::npos) << c.what;
  }
  EXPECT_TRUE(stored().empty());
  EXPECT_NE(d.log().find("Flux event for shop-api from 127.0.0.1 refused (401)"), std::string::npos)
      << d.log();
}

}  // namespace
}  // namespace juanie::test
