#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <set>

#include "integration/daemon_fixture.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;

std::int64_t push(Daemon& d, int n, const std::string& ref = "refs/heads/develop") {
  const std::string body = push_body(ref, sha_for(n));
  auto r = d.request("POST", "/hooks/github/shop-api", body,
                     github_headers(body, "page-" + std::to_string(n)));
  EXPECT_EQ(r.status, 202) << r.body;
  return r.status == 202 ? json::parse(r.body).at("run").as_int64() : 0;
}

// Rows the API has no endpoint to create without running pipelines, written into the
// daemon's own database file beside it (SQLite's locking keeps the two writers apart).
void exec_sql(const std::filesystem::path& db_file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// Follows `next` from the first page of `path` (which has a query already): every id, in order.
std::vector<std::int64_t> walk(Daemon& d, const std::string& path, const std::string& list,
                               const std::string& id_field, int* pages,
                               const std::function<void()>& between = {}) {
  std::vector<std::int64_t> ids;
  std::string next;
  *pages = 0;
  for (;;) {
    auto r = d.api(path + (next.empty() ? "" : "&before=" + next));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return ids;
    const auto page = json::parse(r.body).as_object();
    ++*pages;
    for (const auto& item : page.at(list).as_array()) ids.push_back(item.at(id_field).as_int64());
    EXPECT_TRUE(page.contains("next")) << r.body;
    if (page.at("next").is_null()) return ids;
    next = std::to_string(page.at("next").as_int64());
    if (between) between();
    if (*pages > 100) {
      ADD_FAILURE() << "no last page";
      return ids;
    }
  }
}

TEST(Paging, EveryRunIsReachedPageByPageWhileNewOnesArrive) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::vector<std::int64_t> made;
  for (int i = 0; i < 12; ++i) made.push_back(push(d, 400 + i));
  std::reverse(made.begin(), made.end());

  int pages = 0, later = 0;
  // Runs queued while the client walks land above its first page: they shift nothing.
  const auto seen = walk(d, "/api/v1/runs?project=shop-api&limit=5", "runs", "id", &pages,
                         [&] { push(d, 500 + later++); });
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, made);
  EXPECT_EQ(later, 2);

  // The last page of an exact multiple says so without an empty page after it.
  const auto all = walk(d, "/api/v1/runs?project=shop-api&limit=7", "runs", "id", &pages);
  EXPECT_EQ(all.size(), 14u);
  EXPECT_EQ(pages, 2);
  EXPECT_TRUE(std::is_sorted(all.rbegin(), all.rend()));
  EXPECT_EQ(std::set<std::int64_t>(all.begin(), all.end()).size(), all.size());
  // Without a limit a page holds 100; a cursor past the oldest run gives an empty last page.
  auto first = json::parse(d.api("/api/v1/runs").body).as_object();
  EXPECT_EQ(first.at("runs").as_array().size(), 14u);
  EXPECT_TRUE(first.at("next").is_null());
  auto beyond =
      json::parse(d.api("/api/v1/runs?before=" + std::to_string(made.back())).body).as_object();
  EXPECT_TRUE(beyond.at("runs").as_array().empty());
  EXPECT_TRUE(beyond.at("next").is_null());
}

TEST(Paging, DeploymentsAndApprovalsPageByDeployment) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const auto db = d.home() / "data" / "juanie.db";
  std::vector<std::int64_t> deployments;
  std::string sql = "BEGIN;";
  for (int i = 0; i < 5; ++i) {
    const auto run = push(d, 600 + i, "refs/heads/main");
    sql +=
        "INSERT INTO deployments (id, run_id, project, environment, state, image, tag, created_at) "
        "VALUES (" +
        std::to_string(100 + i) + ", " + std::to_string(run) +
        ", 'shop-api', 'prod', 'awaiting_approval', 'img', 't" + std::to_string(i) +
        "', '2026-01-01T00:00:00Z');";
    deployments.insert(deployments.begin(), 100 + i);
  }
  exec_sql(db, sql + "COMMIT;");

  int pages = 0;
  EXPECT_EQ(walk(d, "/api/v1/deployments?project=shop-api&limit=2", "deployments", "id", &pages),
            deployments);
  EXPECT_EQ(pages, 3);
  // Each waits for alice: one pending approval a deployment.
  EXPECT_EQ(walk(d, "/api/v1/approvals?state=pending&limit=2", "approvals", "deployment", &pages),
            deployments);
  EXPECT_EQ(pages, 3);
  // A deployment with nothing to show takes no room on a page: none is decided yet.
  auto decided = json::parse(d.api("/api/v1/approvals?state=decided&limit=1").body).as_object();
  EXPECT_TRUE(decided.at("approvals").as_array().empty());
  EXPECT_TRUE(decided.at("next").is_null());
}

TEST(Paging, ABadCursorOrLimitIsRefusedWithTheReason) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  for (const std::string list : {"runs", "deployments", "approvals"}) {
    for (const std::string query : {"limit=0", "limit=1001", "limit=ten", "limit=", "limit=5x"}) {
      auto r = d.api("/api/v1/" + list + "?" + query);
      EXPECT_EQ(r.status, 400) << list << "?" << query;
      EXPECT_NE(r.body.find("limit must be a number from 1 to 1000"), std::string::npos) << r.body;
    }
    for (const std::string query :
         {"before=0", "before=-4", "before=abc", "before=", "before=9999999999999999999"}) {
      auto r = d.api("/api/v1/" + list + "?" + query);
      EXPECT_EQ(r.status, 400) << list << "?" << query;
      EXPECT_NE(r.body.find("before must be a positive id"), std::string::npos) << r.body;
    }
    EXPECT_EQ(d.api("/api/v1/" + list + "?limit=1000&before=1").status, 200) << list;
  }
}

}  // namespace
}  // namespace juanie::test
