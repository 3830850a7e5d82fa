// Decisions from the status page's deployment view over real HTTP against the real daemon:
// the same rules as the approval links (case, deadline, repeats, one person once whichever
// way they come), only approve or reject reaching the audit log as an action, every refusal
// audited — on an unknown deployment too — and hostile repository fields escaped.
//
// The waiting deployment is written straight into the daemon's store, so no registry, podman
// or git is needed: the page reads deployments from the store and decides through
// ApprovalFlow::decide like a link. (Found by a security review of the page, issue 14.)
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <regex>
#include <string>

#include "daemon/approvals/link_token.hpp"
#include "integration/daemon_fixture.hpp"

namespace juanie::test {
namespace {

const std::pair<std::string, std::string> kForm{"Content-Type",
                                                "application/x-www-form-urlencoded"};
const std::string kDigest = "sha256:" + std::string(64, 'b');

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

class PageDecisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d.add_api_token("alice", "alice-token", "alice");  // shop-api's prod approver
    d.add_api_token("dave", "dave-token", "dave");     // signed in, approves nothing
    ASSERT_TRUE(d.start()) << d.log();
  }

  std::string db_file() const { return (d.home() / "data/juanie.db").string(); }

  // A deployment of `project` to prod that waits for approval until 2099, pushed by mallory.
  std::int64_t awaiting_deployment(const std::string& project = "shop-api") {
    EXPECT_TRUE(exec_sql(
        db_file(),
        "INSERT INTO runs (id, project, ref, ref_kind, branch, sha, environment, deploy_trigger, "
        "trigger, state, forge, pusher, commit_message, created_at) VALUES (41, '" +
            project + "', 'refs/heads/main', 'branch', 'main', '" + std::string(40, 'a') +
            "', 'prod', 'manual', 'push', 'succeeded', 'github', 'mallory', 'v1', "
            "'2026-11-01T00:00:00Z');"
            "INSERT INTO deployments (id, run_id, project, environment, state, image, tag, "
            "digest, created_at, triggered_by, triggered_at, expires_at) VALUES (42, 41, '" +
            project + "', 'prod', 'awaiting_approval', 'registry.example.com/shop-api', 'v1', '" +
            kDigest +
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
  daemon::http::ClientResponse decide(const Person& p, std::int64_t id, const std::string& decision,
                                      const std::string& digest = kDigest) {
    return post(p, "/deployments/" + std::to_string(id) + "/decide",
                "csrf=" + p.csrf + "&digest=" + digest + "&decision=" + decision);
  }

  // alice's signed approval link for deployment `id` of prod (until 2099) and its form's
  // CSRF value.
  std::pair<std::string, std::string> link_of_alice(std::int64_t id, const std::string& digest) {
    const auto key = daemon::approvals::make_signing_key(kApprovalKey);
    daemon::approvals::LinkClaims claims;
    claims.deployment = id;
    claims.approver = "alice";
    claims.environment = "prod";
    claims.digest = digest;
    claims.expires = 4070908800;  // 2099
    const std::string link = daemon::approvals::mint_link("", claims, key);
    auto verified = daemon::approvals::verify_link(link.substr(9), {key});
    EXPECT_TRUE(verified);
    return {link, verified ? daemon::approvals::csrf_value(*verified, {key}) : ""};
  }

  long long rows(const std::string& sql) { return count_rows(db_file(), sql); }

  Daemon d;
};

// Any signed-in person with a token that names a person — no approver needed — could write
// audit rows of any size (up to limits.body_max) and any action name, one per POST: the posted
// `decision` became the row's action. Now a decision that is neither approve nor reject is
// refused (400) before the flow, the action is `decide` and the detail holds a short escaped
// copy of what was posted.
TEST_F(PageDecisionTest, ADecisionThatIsNeitherApproveNorRejectLeavesABoundedAuditRow) {
  const auto id = awaiting_deployment();
  const Person dave = sign_in("dave-token");
  auto big = decide(dave, id, std::string(8 << 10, 'x'));
  EXPECT_EQ(big.status, 400) << big.body.substr(0, 400);
  auto spoofed = decide(dave, id, "rollback%0a2026-12-01+approve+ok");
  EXPECT_EQ(spoofed.status, 400) << spoofed.body;
  EXPECT_NE(spoofed.body.find("Choose approve or reject (the form said &quot;rollback\\x0a2026"),
            std::string::npos)
      << spoofed.body;
  EXPECT_EQ(post(dave, "/deployments/42/decide",
                 "csrf=" + dave.csrf + "&decision=" + std::string(1 << 20, 'x'))
                .status,
            413)
      << "no page form is that large";
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 0);
  EXPECT_LE(rows("SELECT coalesce(max(length(action)), 0) FROM audit"), 7);
  EXPECT_LE(rows("SELECT coalesce(max(length(detail)), 0) FROM audit"), 200)
      << "an 8 KiB decision made an 8 KiB audit row";
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE deployment_id = 42 AND action NOT IN "
                 "('approve', 'reject', 'decide')"),
            0)
      << "the audit log names actions the daemon never took";
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE action = 'decide' AND outcome = 'refused' "
                 "AND via = 'page' AND detail LIKE '400: %\"rollback\\x0a2026%'"),
            1);
}

// Checked before the flow: the deployment is no longer waiting (which the flow would answer
// 409 before looking at the decision) and the page's digest is longer than any digest.
TEST_F(PageDecisionTest, AFormThePageNeverSentIsRefusedBeforeTheFlow) {
  const auto id = awaiting_deployment();
  ASSERT_TRUE(exec_sql(db_file(), "UPDATE deployments SET state = 'cancelled' WHERE id = 42"));
  const Person alice = sign_in("alice-token");
  EXPECT_EQ(decide(alice, id, "yes").status, 400);
  EXPECT_EQ(decide(alice, id, "approve", "sha256:" + std::string(4000, 'b')).status, 400);
  EXPECT_EQ(decide(alice, id, "approve").status, 409) << "the flow's answer, once the form is";
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE outcome = 'refused' AND via = 'page' AND "
                 "detail LIKE '400: %'"),
            2);
}

// The same for a link: its form's decision is approve or reject, else 400 before the flow
// (here the image changed since the link was made: the flow would say 409), audited `decide`.
TEST_F(PageDecisionTest, ALinksDecisionThatIsNeitherApproveNorRejectIsRefusedBeforeTheFlow) {
  const auto id = awaiting_deployment();
  const auto [link, csrf] = link_of_alice(id, "sha256:" + std::string(64, 'c'));
  auto r = d.request("POST", link, "csrf=" + csrf + "&decision=trigger", {kForm});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("it said &quot;trigger&quot;"), std::string::npos) << r.body;
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE action = 'decide' AND actor = 'alice' AND "
                 "outcome = 'refused' AND via = 'link' AND detail LIKE '400: %\"trigger\"%'"),
            1);
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE action NOT IN ('approve', 'reject', 'decide')"),
            0);
}

// The pusher under another case may not approve; past the deadline (sweep not yet run)
// nobody may; an approver decides once, the second try (a race lost, or twice) is 409; every
// decision is audited `via page`, with its action.
TEST_F(PageDecisionTest, ThePageKeepsTheLinksRulesAgainstCaseDeadlineAndRepeats) {
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
      "'t1', '" +
          kDigest +
          "', 't', '2099-01-01T00:00:00Z'),"
          "(72, 62, 'shop-api', 'prod', 'awaiting_approval', 'i', 't2', '" +
          kDigest + "', 't', '2000-01-01T00:00:00Z');"));
  const Person alice = sign_in("alice-token");
  EXPECT_EQ(decide(alice, 71, "approve").status, 403) << "ALICE pushed it";
  EXPECT_EQ(decide(alice, 72, "approve").status, 410) << "past its deadline";
  EXPECT_EQ(decide(alice, 71, "reject").status, 200) << "a pusher may reject";
  EXPECT_EQ(decide(alice, 71, "reject").status, 409);
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 1);
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE actor = 'alice' AND via = 'page'"), 4);
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE actor = 'alice' AND action = 'reject'"), 2);
}

// A decision on a deployment that does not exist, or of a project no longer configured, is
// refused like any other — in the audit log — where it used to leave no trace, so probing
// ids went unseen.
TEST_F(PageDecisionTest, ARefusedDecisionOnAnUnknownDeploymentIsAudited) {
  awaiting_deployment("gone");  // deployment 42 of a project the daemon no longer has
  const Person alice = sign_in("alice-token");
  auto unknown = decide(alice, 999, "approve", "x");
  EXPECT_EQ(unknown.status, 404);
  auto gone = decide(alice, 42, "approve");
  EXPECT_EQ(gone.status, 404) << gone.body;
  EXPECT_NE(gone.body.find("no longer configured"), std::string::npos) << gone.body;
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE actor = 'alice' AND outcome = 'refused' AND "
                 "via = 'page' AND action = 'decide' AND detail LIKE '404: %' AND "
                 "deployment_id IN (42, 999)"),
            2);
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 0);
}

// An approver who approved from the page and then uses their link (or the other way round)
// is one approval, not two, where two distinct approvers are required.
TEST_F(PageDecisionTest, OnePersonByPageAndByLinkIsOneApproval) {
  ASSERT_EQ(d.stop(), 0) << d.log();
  d.home().write("projects.d/shop-api.yaml",
                 "name: shop-api\nrepo: {url: https://github.com/acme/shop-api.git, forge: "
                 "github, webhook_secret: shop-api.webhook}\n"
                 "environments: {prod: {approvers: [alice, bob], required_approvals: 2}}\n"
                 "approvers: {alice: {email: a@x}, bob: {email: b@x}}\n"
                 "branches: [{match: main, environment: prod, trigger: manual}]\n");
  ASSERT_TRUE(d.start()) << d.log();
  const auto id = awaiting_deployment();
  const auto [link, csrf] = link_of_alice(id, kDigest);
  const Person alice = sign_in("alice-token");
  auto by_page = decide(alice, id, "approve");
  EXPECT_EQ(by_page.status, 200) << by_page.body;
  auto by_link = d.request("POST", link, "csrf=" + csrf + "&decision=approve", {kForm});
  EXPECT_EQ(by_link.status, 409) << by_link.body;
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 1);
  EXPECT_EQ(rows("SELECT count(*) FROM deployments WHERE id = 42 AND state = "
                 "'awaiting_approval'"),
            1);
}

// A hostile repository's branch, commit message, pusher and image tag, and a hostile reason,
// are escaped in text and in attributes on the project and deployment pages.
TEST_F(PageDecisionTest, HostileRepositoryFieldsAreEscapedEverywhere) {
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
          q(evil + "\nsecond line") + ", 't');" +
          "INSERT INTO deployments (id, run_id, project, environment, state, image, tag, digest, "
          "created_at, reason, triggered_by, triggered_person, expires_at) VALUES (52, 51, "
          "'shop-api', 'prod', 'awaiting_approval', " +
          q(evil) + ", " + q(evil) + ", " + q(evil) + ", 't', " + q(evil) + ", " + q(evil) + ", " +
          q(evil) + ", '2099-01-01T00:00:00Z');" +
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

}  // namespace
}  // namespace juanie::test
