// Security review of the status page's project and deployment views and their forms
// (issue 14, commits 46e0b7f..ee03db4): attacks over real HTTP against the real daemon. Each
// test here FAILS on main as of 25d7338 and states the rule it holds the page to.
//
// The waiting deployment is written straight into the daemon's store (as the fixture's other
// tests read it), so no registry, podman or git is needed: the page reads deployments from
// the store and decides through ApprovalFlow::decide like a link.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <regex>
#include <string>

#include "daemon/approvals/link_token.hpp"
#include "integration/daemon_fixture.hpp"
#include "integration/raw_client.hpp"

namespace juanie::test {
namespace {

using namespace std::chrono_literals;

const std::pair<std::string, std::string> kForm{"Content-Type",
                                                "application/x-www-form-urlencoded"};

std::string csrf_of(const std::string& html) {
  std::smatch m;
  static const std::regex re(R"re(name="csrf" value="([^"]+)")re");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

// Runs `sql` on the daemon's store from another connection (WAL: the daemon keeps running).
bool exec_sql(const std::string& db_file, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return false;
  }
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  const bool ok = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK;
  if (error) {
    ADD_FAILURE() << error;
    sqlite3_free(error);
  }
  sqlite3_close(db);
  return ok;
}

struct Person {
  std::string cookie;
  std::string csrf;
};

class ReviewPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d.add_api_token("alice", "alice-token", "alice");  // shop-api's prod approver
    d.add_api_token("dave", "dave-token", "dave");     // signed in, approves nothing
    ASSERT_TRUE(d.start()) << d.log();
  }

  std::string db_file() const { return (d.home() / "data/juanie.db").string(); }

  // A deployment of shop-api to prod that waits for approval until 2099, pushed by mallory.
  std::int64_t awaiting_deployment() {
    EXPECT_TRUE(exec_sql(
        db_file(),
        "INSERT INTO runs (id, project, ref, ref_kind, branch, sha, environment, deploy_trigger, "
        "trigger, state, forge, pusher, commit_message, created_at) VALUES (41, 'shop-api', "
        "'refs/heads/main', 'branch', 'main', '" +
            std::string(40, 'a') +
            "', 'prod', 'manual', 'push', 'succeeded', 'github', 'mallory', 'v1', "
            "'2026-11-01T00:00:00Z');"
            "INSERT INTO deployments (id, run_id, project, environment, state, image, tag, "
            "digest, created_at, triggered_by, triggered_at, expires_at) VALUES (42, 41, "
            "'shop-api', 'prod', 'awaiting_approval', 'registry.example.com/shop-api', 'v1', "
            "'sha256:" +
            std::string(64, 'b') +
            "', '2026-11-01T00:00:00Z', 'ops', '2026-11-01T00:00:00Z', "
            "'2099-01-01T00:00:00Z');"));
    return 42;
  }

  Person sign_in(const std::string& token) {
    auto r = d.request("POST", "/sign-in", "token=" + token, {kForm});
    EXPECT_EQ(r.status, 303) << r.body;
    const std::string set = r.header("Set-Cookie");
    Person p{set.substr(0, set.find(';')), ""};
    p.csrf = csrf_of(d.request("GET", "/", "", {{"Cookie", p.cookie}}).body);
    EXPECT_EQ(p.csrf.size(), 64u);
    return p;
  }

  daemon::http::ClientResponse post(const Person& p, const std::string& path,
                                    const std::string& body) {
    return d.request("POST", path, body, {{"Cookie", p.cookie}, kForm});
  }

  long long rows(const std::string& sql) { return count_rows(db_file(), sql); }

  Daemon d;
};

// Headers announcing a 10 MiB body, and not one byte of it: what the daemon answers within
// 5 s (nothing when it waits for the body).
std::string answer_to_head(Daemon& d, const std::string& path, const std::string& extra = "") {
  RawConnection c(d.port());
  c.send("POST " + path +
         " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
         "Content-Length: 10485760\r\n" +
         extra + "\r\n");
  return c.read_response(5s);
}

// FINDING (medium): Routes::screen lets every page path through before the body
// (daemon/api/routes.cpp:130), so a stranger with no cookie makes the daemon read and buffer
// up to limits.body_max (25 MiB by default) per request on the new POST routes, only to answer
// 403 "Sign in first" afterwards. tests/integration/edge_test.cpp holds every other route to
// "never read a body nobody will use" (/api/v1 answers 401, /approve/ 403 before the body).
TEST_F(ReviewPageTest, AStrangersFormPostIsRefusedBeforeItsBody) {
  for (const std::string path :
       {"/deployments/42/decide", "/projects/shop-api/trigger", "/projects/shop-api/runs"}) {
    const std::string answer = answer_to_head(d, path);
    EXPECT_EQ(status_of(answer), 403) << path << ": the daemon waited for 10 MiB nobody uses\n"
                                      << answer;
  }
  // A cookie that names no session is no better than none.
  const std::string forged =
      answer_to_head(d, "/deployments/42/decide", "Cookie: juanie_session=" +
                                                      std::string(64, 'f') + "\r\n");
  EXPECT_EQ(status_of(forged), 403) << forged;
}

// FINDING (low): the page's forms are a few hundred bytes (the comment is capped at 2000
// characters) but a signed-in form POST may be limits.body_max (25 MiB) long; page routes
// should cap their bodies (e.g. 16 KiB) before reading, as the sign-in form is anyone's.
TEST_F(ReviewPageTest, APageFormLargerThanAnyFormIsRefusedBeforeItsBody) {
  const std::string answer = answer_to_head(d, "/sign-in");
  EXPECT_EQ(status_of(answer), 413) << "a sign-in form of 10 MiB was awaited\n" << answer;
}

// FINDING (medium): the posted `decision` is written unchecked and unbounded as the audit
// row's `action` (ApprovalFlow::decide's refuse, daemon/approvals/approval_flow.cpp:298, fed by
// daemon/web/page_actions.cpp:178). Any signed-in person with a token that names a person —
// no approver needed — writes rows of any size (up to limits.body_max) and any action name
// into the append-only audit log, one per POST. The comment is capped (2000); the decision
// is not, and is not one of approve|reject when it reaches the audit.
TEST_F(ReviewPageTest, ADecisionThatIsNeitherApproveNorRejectLeavesABoundedAuditRow) {
  const auto id = awaiting_deployment();
  const Person dave = sign_in("dave-token");
  const std::string digest = "sha256:" + std::string(64, 'b');
  const std::string path = "/deployments/" + std::to_string(id) + "/decide";
  auto big = post(dave, path,
                  "csrf=" + dave.csrf + "&digest=" + digest + "&decision=" +
                      std::string(1 << 20, 'x'));
  EXPECT_EQ(big.status, 400) << big.body.substr(0, 400);
  auto spoofed = post(dave, path, "csrf=" + dave.csrf + "&digest=" + digest + "&decision=rollback");
  EXPECT_EQ(spoofed.status, 400);
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 0);
  EXPECT_LE(rows("SELECT coalesce(max(length(action)), 0) FROM audit"), 64)
      << "a 1 MiB decision became an audit row's action";
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE deployment_id = 42 AND action NOT IN "
                 "('approve', 'reject', 'decide')"),
            0)
      << "the audit log names actions the daemon never took";
}

// FINDING (info): the pages link every run to /runs/{id} and a started run redirects there
// (page_actions.cpp:107), but the daemon serves no /runs/{id} (web::is_page_path): a person
// who starts a run from the page lands on a JSON 404 "no such endpoint".
TEST_F(ReviewPageTest, TheRunLinkThePagesGiveIsServed) {
  const Person dave = sign_in("dave-token");
  const std::string body = push_body("refs/heads/develop", std::string(40, 'c'));
  ASSERT_EQ(d.request("POST", "/hooks/github/shop-api", body, github_headers(body, "rv-1")).status,
            202);
  auto project = d.request("GET", "/projects/shop-api", "", {{"Cookie", dave.cookie}});
  std::smatch m;
  const std::regex re(R"re(<a href="(/runs/[0-9]+)">)re");
  ASSERT_TRUE(std::regex_search(project.body, m, re)) << project.body;
  auto run = d.request("GET", m[1].str(), "", {{"Cookie", dave.cookie}});
  EXPECT_EQ(run.status, 200) << m[1].str() << ": " << run.body;
}

// Checked, holds on main (a guard, not a finding): a hostile repository's branch, commit
// message, pusher and image tag, and a hostile reason, are escaped in text and in attributes
// on the project and deployment pages.
TEST_F(ReviewPageTest, HostileRepositoryFieldsAreEscapedEverywhere) {
  const std::string evil = R"(x"'><script>alert(1)</script><img src=x onerror=alert(2)>)";
  auto q = [](std::string s) {
    for (std::size_t at = s.find('\''); at != std::string::npos; at = s.find('\'', at + 2))
      s.insert(at, "'");
    return "'" + s + "'";
  };
  ASSERT_TRUE(exec_sql(
      db_file(),
      "INSERT INTO runs (id, project, ref, ref_kind, branch, sha, environment, deploy_trigger, "
      "trigger, state, forge, pusher, commit_message, created_at) VALUES (51, 'shop-api', " +
          q("refs/heads/" + evil) + ", 'branch', " + q(evil) + ", " + q(evil) +
          ", 'prod', 'manual', 'push', 'succeeded', 'github', " + q(evil) + ", " +
          q(evil + "\nsecond line") + ", 't');"
          "INSERT INTO deployments (id, run_id, project, environment, state, image, tag, digest, "
          "created_at, reason, triggered_by, triggered_person, expires_at) VALUES (52, 51, "
          "'shop-api', 'prod', 'awaiting_approval', " +
          q(evil) + ", " + q(evil) + ", " + q(evil) + ", 't', " + q(evil) + ", " + q(evil) +
          ", " + q(evil) + ", '2099-01-01T00:00:00Z');"
          "INSERT INTO deployments (id, run_id, project, environment, state, image, tag, "
          "created_at) VALUES (53, 51, 'shop-api', 'staging', 'pending', " +
          q(evil) + ", " + q(evil) + ", 't');"));
  const Person alice = sign_in("alice-token");
  for (const std::string path : {"/projects/shop-api", "/deployments/52", "/deployments/53"}) {
    auto r = d.request("GET", path, "", {{"Cookie", alice.cookie}});
    ASSERT_EQ(r.status, 200) << path << r.body;
    EXPECT_EQ(r.body.find("<script"), std::string::npos) << path << r.body;
    EXPECT_EQ(r.body.find("<img"), std::string::npos) << path << r.body;
    EXPECT_EQ(r.body.find("x\"'"), std::string::npos) << path << r.body;
    EXPECT_NE(r.body.find("x&quot;&#39;&gt;&lt;script&gt;"), std::string::npos) << path << r.body;
  }
}

// Checked, holds on main (a guard, not a finding): the pusher under another case may not
// approve; past the deadline (sweep not yet run) nobody may; an approver decides once, the
// second try (a race lost, or twice) is 409; every decision is audited `via page`.
TEST_F(ReviewPageTest, ThePageKeepsTheLinksRulesAgainstCaseDeadlineAndRepeats) {
  const std::string digest = "sha256:" + std::string(64, 'b');
  ASSERT_TRUE(exec_sql(
      db_file(),
      "INSERT INTO runs (id, project, ref, ref_kind, branch, sha, environment, deploy_trigger, "
      "trigger, state, forge, pusher, created_at) VALUES (61, 'shop-api', 'refs/heads/main', "
      "'branch', 'main', 'abc', 'prod', 'manual', 'push', 'succeeded', 'github', 'ALICE', 't');"
      "INSERT INTO runs (id, project, ref, ref_kind, branch, sha, environment, deploy_trigger, "
      "trigger, state, forge, pusher, created_at) VALUES (62, 'shop-api', 'refs/tags/v2', "
      "'tag', 'v2', 'abd', 'prod', 'manual', 'push', 'succeeded', 'github', 'mallory', 't');"
      "INSERT INTO deployments (id, run_id, project, environment, state, image, tag, digest, "
      "created_at, expires_at) VALUES (71, 61, 'shop-api', 'prod', 'awaiting_approval', 'i', "
      "'t1', '" + digest + "', 't', '2099-01-01T00:00:00Z'),"
      "(72, 62, 'shop-api', 'prod', 'awaiting_approval', 'i', 't2', '" + digest +
      "', 't', '2000-01-01T00:00:00Z');"));
  const Person alice = sign_in("alice-token");
  auto decide = [&](int id, const std::string& decision) {
    return post(alice, "/deployments/" + std::to_string(id) + "/decide",
                "csrf=" + alice.csrf + "&digest=" + digest + "&decision=" + decision);
  };
  EXPECT_EQ(decide(71, "approve").status, 403) << "ALICE pushed it";
  EXPECT_EQ(decide(72, "approve").status, 410) << "past its deadline";
  EXPECT_EQ(decide(71, "reject").status, 200) << "a pusher may reject";
  EXPECT_EQ(decide(71, "reject").status, 409);
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 1);
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE actor = 'alice' AND via = 'page'"), 4);
}

// FINDING (info): a signed-in person's decision on a deployment that does not exist (or whose
// project is no longer configured) is answered 404 with no audit row
// (daemon/web/page_actions.cpp:161-164), where every other refused decision from the page —
// even one without the CSRF value — and a link's decision on a deployment that does not match
// the record (ApprovalDesk::refuse "wrong_deployment") are audited. Probing ids leaves no trace.
TEST_F(ReviewPageTest, ARefusedDecisionOnAnUnknownDeploymentIsAudited) {
  const Person alice = sign_in("alice-token");
  auto r = post(alice, "/deployments/999/decide",
                "csrf=" + alice.csrf + "&digest=x&decision=approve");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE actor = 'alice' AND outcome = 'refused' AND "
                 "via = 'page'"),
            1);
}

// Checked, holds on main (a guard, not a finding): an approver who approved from the page
// and then uses their link (or the other way round) is one approval, not two, where two
// distinct approvers are required.
TEST_F(ReviewPageTest, OnePersonByPageAndByLinkIsOneApproval) {
  ASSERT_EQ(d.stop(), 0) << d.log();
  d.home().write("projects.d/shop-api.yaml",
                 "name: shop-api\nrepo: {url: https://github.com/acme/shop-api.git, forge: "
                 "github, webhook_secret: shop-api.webhook}\n"
                 "environments: {prod: {approvers: [alice, bob], required_approvals: 2}}\n"
                 "approvers: {alice: {email: a@x}, bob: {email: b@x}}\n"
                 "branches: [{match: main, environment: prod, trigger: manual}]\n");
  ASSERT_TRUE(d.start()) << d.log();
  const auto id = awaiting_deployment();
  const std::string digest = "sha256:" + std::string(64, 'b');
  const auto key = daemon::approvals::make_signing_key(kApprovalKey);
  daemon::approvals::LinkClaims claims;
  claims.deployment = id;
  claims.approver = "alice";
  claims.environment = "prod";
  claims.digest = digest;
  claims.expires = 4070908800;  // 2099
  const std::string link = daemon::approvals::mint_link("", claims, key);
  auto verified = daemon::approvals::verify_link(link.substr(9), {key});
  ASSERT_TRUE(verified);
  const std::string csrf = daemon::approvals::csrf_value(*verified, {key});

  const Person alice = sign_in("alice-token");
  auto by_page = post(alice, "/deployments/" + std::to_string(id) + "/decide",
                      "csrf=" + alice.csrf + "&digest=" + digest + "&decision=approve");
  EXPECT_EQ(by_page.status, 200) << by_page.body;
  auto by_link = d.request("POST", link, "csrf=" + csrf + "&decision=approve", {kForm});
  EXPECT_EQ(by_link.status, 409) << by_link.body;
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 1);
  EXPECT_EQ(rows("SELECT count(*) FROM deployments WHERE id = 42 AND state = "
                 "'awaiting_approval'"),
            1);
}

}  // namespace
}  // namespace juanie::test
