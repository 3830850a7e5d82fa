// What a stranger on the network can make the daemon do without any credential: it must not
// write to the store, hold more connections than its share, or make the daemon read a body
// nobody will use. The real binary over loopback.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/daemon_fixture.hpp"
#include "integration/raw_client.hpp"

namespace juanie::test {
namespace {

using namespace std::chrono_literals;

const std::vector<std::pair<std::string, std::string>> kForm{
    {"Content-Type", "application/x-www-form-urlencoded"}};

// The value of one sample line of /metrics ("name{labels} value"), or -1.
double metric(Daemon& d, const std::string& sample) {
  const std::string text = d.request("GET", "/metrics").body;
  const auto at = text.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + sample.size() + 2));
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(Edge, GarbageApprovalPostsAreCountedAndNotStored) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::string db = (d.home() / "data/juanie.db").string();
  const long long audit_before = count_rows(db, "SELECT count(*) FROM audit");
  ASSERT_GE(audit_before, 0);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    auto r = d.request("POST", "/approve/garbage-" + std::to_string(i), "csrf=x&decision=approve",
                       kForm);
    ASSERT_EQ(r.status, 403) << r.body;
  }
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  EXPECT_EQ(count_rows(db, "SELECT count(*) FROM audit"), audit_before);
  EXPECT_EQ(metric(d, R"(juanie_approval_refusals_total{reason="invalid_link"})"), 100);
  // At most one line a minute, however many there were.
  const std::string log = d.log();
  EXPECT_GE(occurrences(log, "approval link refused"), 1u);
  EXPECT_LE(occurrences(log, "approval link refused"), 1u + seconds.count() / 60 + 1) << log;
}

// A user's check that /readyz wrote nothing: SQLite's data_version, seen from another
// connection, moves whenever anyone commits a change; the WAL file grows with every commit.
TEST(Edge, ReadinessIsAnsweredWithoutWriting) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const auto db_file = d.home() / "data/juanie.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  auto data_version = [&] {
    sqlite3_stmt* stmt = nullptr;
    long long v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      v = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return v;
  };
  ASSERT_EQ(d.request("GET", "/readyz").status, 200);
  const long long version = data_version();
  const auto wal_size = std::filesystem::file_size(db_file.string() + "-wal");
  for (int i = 0; i < 100; ++i) {
    auto r = d.request("GET", "/readyz");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(data_version(), version);
  EXPECT_EQ(std::filesystem::file_size(db_file.string() + "-wal"), wal_size);
  // A real write still moves it: the check above can see one.
  const std::string body = push_body("refs/heads/develop", sha_for(700));
  ASSERT_EQ(
      d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "ready-1")).status,
      202);
  EXPECT_NE(data_version(), version);
  sqlite3_close(db);
}

TEST(Edge, OneClientGetsNoMoreThanConnectionsPerIp) {
  Daemon d("limits:\n  connections_per_ip: 4\n");
  ASSERT_TRUE(d.start()) << d.log();
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawConnection>(d.port()));
    ASSERT_TRUE(held.back()->connected());
  }
  // Accepted in order: the fifth from 127.0.0.1 is over its share.
  RawConnection fifth(d.port());
  ASSERT_TRUE(fifth.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string refused = fifth.read_response(5s);
  EXPECT_EQ(status_of(refused), 429) << refused;
  // Another client is served meanwhile.
  RawConnection other(d.port(), "127.0.0.2");
  ASSERT_TRUE(other.connected());
  ASSERT_TRUE(other.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(status_of(other.read_response(5s)), 200);
  // Once the first client lets go, it is served again (the daemon sees the closes in its own
  // time: ask until it has).
  held.clear();
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
    RawConnection again(d.port());
    if (again.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
      status = status_of(again.read_response(5s));
    if (status != 200) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(status, 200);
}

// Headers announcing a large body, and not one byte of it: the answer comes anyway.
std::string answer_to_head(Daemon& d, const std::string& method, const std::string& path,
                           const std::string& extra = "") {
  RawConnection c(d.port());
  c.send(method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         "Content-Length: 10485760\r\n" + extra + "\r\n");
  return c.read_response(5s);
}

TEST(Edge, ABodyIsReadOnlyForARouteAndProjectThatExist) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(status_of(answer_to_head(d, "POST", "/hooks/github/no-such-project")), 404);
  // shop-api takes GitHub webhooks, not GitLab ones.
  EXPECT_EQ(status_of(answer_to_head(d, "POST", "/hooks/gitlab/shop-api")), 404);
  EXPECT_EQ(status_of(answer_to_head(d, "POST", "/hooks/nohub/shop-api")), 404);
  EXPECT_EQ(status_of(answer_to_head(d, "POST", "/no/such/endpoint")), 404);
  EXPECT_EQ(status_of(answer_to_head(d, "POST", "/api/v1/runs/1/cancel")), 401);
  EXPECT_EQ(status_of(answer_to_head(d, "POST", "/approve/garbage")), 403);
  // With Expect: 100-continue the client is told not to send it at all.
  const std::string expecting =
      answer_to_head(d, "POST", "/hooks/github/no-such-project", "Expect: 100-continue\r\n");
  EXPECT_EQ(status_of(expecting), 404) << expecting;
  // An existing project's webhook is read (and here refused for its missing signature).
  RawConnection c(d.port());
  const std::string body = "{}";
  ASSERT_TRUE(c.send(
      "POST /hooks/github/shop-api HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n" + body));
  EXPECT_EQ(status_of(c.read_response(5s)), 401);
  const std::string log = d.log();
  EXPECT_NE(log.find("refused (404) before its body"), std::string::npos) << log;
}

// A body sent in chunks of 4 KiB, `total` bytes in all, to `path`, then its answer.
std::string chunked_post(Daemon& d, const std::string& path, std::size_t total,
                         const std::string& extra = "") {
  RawConnection c(d.port());
  if (!c.send("POST " + path +
              " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
              "Transfer-Encoding: chunked\r\n" +
              extra + "\r\n")) {
    return "";
  }
  const std::string chunk = "1000\r\n" + std::string(4096, 'x') + "\r\n";
  for (std::size_t sent = 0; sent < total; sent += 4096) {
    if (!c.send(chunk)) break;
  }
  c.send("0\r\n\r\n");
  return c.read_response(5s);
}

// The status page's forms are a few hundred bytes, and all but the sign-in form are a
// session's: a stranger's POST to one (no cookie, or one that names no session) is refused
// before its body, and no page request — the sign-in form, anyone's, included — may carry
// more than a form's 16 KiB, whether announced or chunked.
TEST(Edge, APageFormIsReadOnlyFromASessionAndOnlyFormSized) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  for (const std::string path : {"/deployments/42/decide", "/projects/shop-api/trigger",
                                 "/projects/shop-api/runs", "/runs/1/cancel", "/sign-out"}) {
    const std::string answer = answer_to_head(d, "POST", path);
    EXPECT_EQ(status_of(answer), 403) << path << ": the daemon waited for 10 MiB nobody uses\n"
                                      << answer;
  }
  const std::string forged =
      answer_to_head(d, "POST", "/deployments/42/decide",
                     "Cookie: juanie_session=" + std::string(64, 'f') + "\r\n");
  EXPECT_EQ(status_of(forged), 403) << "a cookie that names no session is none\n" << forged;
  const std::string sign_in = answer_to_head(d, "POST", "/sign-in");
  EXPECT_EQ(status_of(sign_in), 413) << "a sign-in form of 10 MiB was awaited\n" << sign_in;
  EXPECT_NE(sign_in.find("16 KiB"), std::string::npos) << sign_in;
  EXPECT_EQ(status_of(chunked_post(d, "/sign-in", 64 * 1024)), 413);

  auto signed_in = d.request("POST", "/sign-in", std::string("token=") + kApiToken, kForm);
  ASSERT_EQ(signed_in.status, 303);
  const std::string cookie =
      "Cookie: " +
      signed_in.header("Set-Cookie").substr(0, signed_in.header("Set-Cookie").find(';')) + "\r\n";
  EXPECT_EQ(status_of(answer_to_head(d, "POST", "/projects/shop-api/runs", cookie)), 413);
  EXPECT_EQ(status_of(chunked_post(d, "/deployments/42/decide", 64 * 1024, cookie)), 413);
  // A form-sized chunked body is read and answered by the page (its CSRF value is missing).
  EXPECT_EQ(status_of(chunked_post(d, "/projects/shop-api/runs", 8 * 1024, cookie)), 403);
}

}  // namespace
}  // namespace juanie::test
