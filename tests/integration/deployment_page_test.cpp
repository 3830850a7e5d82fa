// The status page's project and deployment views over real HTTP, with the real daemon,
// podman, registry and git: a signed-in approver decides a waiting prod deployment from the
// page through the same rules as the approval links; anyone else sees it and cannot; the
// trigger and manual-run forms act exactly as the API does.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <regex>

#include "integration/browser_script.hpp"
#include "integration/daemon_fixture.hpp"
#include "support/busybox_image.hpp"
#include "support/pushed_repository.hpp"
#include "support/registry.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;

const std::pair<std::string, std::string> kForm{"Content-Type",
                                                "application/x-www-form-urlencoded"};

std::string csrf_of(const std::string& html) {
  std::smatch m;
  static const std::regex re(R"re(name="csrf" value="([^"]+)")re");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

struct Person {
  std::string cookie;  // "juanie_session=…"
  std::string csrf;
};

class DeploymentPageTest : public ::testing::Test {
 protected:
  DeploymentPageTest() : d("", true), registry(d.home() / "registry") {}

  void SetUp() override {
    image = registry.host() + "/acme/app";
    const auto base = ensure_busybox_image();
    app = std::make_unique<PushedRepository>(d.home(), "app", "main");
    app->commit({{".juanie.yml",
                  "steps:\n  - {name: test, commands: [\"test -f VERSION\"]}\n"
                  "image: {dockerfile: Dockerfile, context: .}\n"},
                 {"Dockerfile", "FROM " + base + "\nCOPY VERSION /VERSION\n"}},
                "app");
    sha = app->commit({{"VERSION", "1\n"}}, "v1", "Alice <alice@example.com>");
    PushedRepository(d.home(), "gitops", "main")
        .commit(
            {{"overlays/prod/kustomization.yaml",
              "resources:\n  - ../../base\nimages:\n  - name: " + image + "\n    newTag: old\n"},
             {"base/kustomization.yaml", "resources: []\n"}},
            "init", "Ops <ops@example.com>");
    d.home().write("secrets/app.webhook", kGithubSecret);
    d.home().write("projects.d/app.yaml",
                   "name: app\nrepo: {url: " + (d.home() / "app.git").string() +
                       ", forge: github, webhook_secret: app.webhook}\n"
                       "image: " +
                       image +
                       "\nregistry: {tls_verify: false}\n"
                       "gitops: {url: " +
                       (d.home() / "gitops.git").string() +
                       ", branch: main}\n"
                       "environments:\n  prod: {approvers: [alice, bob], required_approvals: 1}\n"
                       "approvers:\n  alice: {email: alice@example.com}\n"
                       "  bob: {email: bob@example.com}\n"
                       "branches: [{match: main, environment: prod, trigger: manual}]\n");
    d.add_api_token("alice", "alice-token", "alice");
    d.add_api_token("bob", "bob-token", "bob");
    d.add_api_token("dave", "dave-token", "dave");
  }

  std::int64_t push(const std::string& commit, const std::string& delivery) {
    const std::string body = push_body("refs/heads/main", commit);
    auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, delivery));
    EXPECT_EQ(r.status, 202) << r.body;
    return json::parse(r.body).at("run").as_int64();
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

  daemon::http::ClientResponse get(const Person& p, const std::string& path) {
    return d.request("GET", path, "", {{"Cookie", p.cookie}});
  }
  daemon::http::ClientResponse post(const Person& p, const std::string& path,
                                    const std::string& body) {
    return d.request("POST", path, body, {{"Cookie", p.cookie}, kForm});
  }
  daemon::http::ClientResponse decide(const Person& p, std::int64_t id, const std::string& digest,
                                      const std::string& decision, const std::string& csrf) {
    return post(p, "/deployments/" + std::to_string(id) + "/decide",
                "csrf=" + csrf + "&digest=" + digest + "&decision=" + decision);
  }

  std::string state_of(std::int64_t id) {
    auto r = d.api("/api/v1/deployments/" + std::to_string(id));
    return r.status == 200 ? std::string(json::parse(r.body).at("state").as_string()) : "?";
  }

  long long rows(const std::string& sql) {
    return count_rows((d.home() / "data/juanie.db").string(), sql);
  }

  Daemon d;
  Registry registry;
  std::unique_ptr<PushedRepository> app;
  std::string image, sha;
};

TEST_F(DeploymentPageTest, AnApproverApprovesFromThePageAndNobodyElseCan) {
  ASSERT_TRUE(d.start()) << d.log();
  const auto run = push(sha, "page-1");
  const auto pending = d.wait_deployment(run, "pending");
  ASSERT_FALSE(pending.empty());
  const auto id = pending.at("id").as_int64();
  const std::string n = std::to_string(id);
  const std::string digest(pending.at("digest").as_string());
  const Person dave = sign_in("dave-token");  // signed in, not an approver
  const Person bob = sign_in("bob-token");
  const Person alice = sign_in("alice-token");  // an approver who wrote the commit

  // The runs page links the project; the project page shows prod waiting for its trigger.
  EXPECT_NE(get(dave, "/").body.find("<a href=\"/projects/app\">app</a>"), std::string::npos);
  auto project = get(dave, "/projects/app");
  ASSERT_EQ(project.status, 200) << project.body;
  EXPECT_NE(project.body.find("Trigger deployment " + n + " to prod"), std::string::npos)
      << project.body;
  EXPECT_NE(project.body.find("<a href=\"/runs/" + std::to_string(run) + "\">"), std::string::npos);
  EXPECT_NE(project.header("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);

  // A trigger form without the session's value (another site's) changes nothing.
  EXPECT_EQ(post(dave, "/projects/app/trigger", "deployment=" + n).status, 403);
  EXPECT_EQ(post(dave, "/projects/app/trigger", "csrf=" + bob.csrf + "&deployment=" + n).status,
            403);
  EXPECT_EQ(
      d.request("POST", "/projects/app/trigger", "csrf=" + dave.csrf + "&deployment=" + n, {kForm})
          .status,
      403)
      << "no session";
  EXPECT_EQ(state_of(id), "pending");
  // Dave triggers it from the page, as POST /api/v1/deployments/{id}/trigger would.
  auto triggered = post(dave, "/projects/app/trigger", "csrf=" + dave.csrf + "&deployment=" + n);
  ASSERT_EQ(triggered.status, 303) << triggered.body;
  EXPECT_EQ(triggered.header("Location"), "/deployments/" + n);
  EXPECT_EQ(state_of(id), "awaiting_approval");
  // Again: the API's 409 and its words, on the page.
  auto api_again = d.api_post("/api/v1/deployments/" + n + "/trigger");
  ASSERT_EQ(api_again.status, 409);
  const std::string api_error(json::parse(api_again.body).at("error").as_string());
  auto again = post(dave, "/projects/app/trigger", "csrf=" + dave.csrf + "&deployment=" + n);
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("role=\"alert\">Not triggered: " + api_error), std::string::npos)
      << api_error << "\n"
      << again.body;
  auto waiting = get(dave, "/projects/app");
  EXPECT_NE(waiting.body.find("Approvals waiting</h2><ul><li><a href=\"/deployments/" + n),
            std::string::npos)
      << waiting.body;

  // Dave sees the deployment but no buttons; his forged POST is refused and changes nothing.
  auto seen = get(dave, "/deployments/" + n);
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_NE(seen.body.find("awaiting_approval"), std::string::npos);
  EXPECT_NE(seen.body.find(image + ":" + sha.substr(0, 12)), std::string::npos) << seen.body;
  EXPECT_EQ(seen.body.find(">Approve</button>"), std::string::npos);
  EXPECT_EQ(seen.body.find("/decide"), std::string::npos);
  EXPECT_NE(seen.body.find("dave is not an approver of app&#39;s prod"), std::string::npos);
  auto forged = decide(dave, id, digest, "approve", dave.csrf);
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_NE(forged.body.find("dave is not an approver of this environment"), std::string::npos)
      << forged.body;
  // Without the session's value, or with another session's, or with none: refused.
  EXPECT_EQ(decide(bob, id, digest, "approve", "").status, 403);
  EXPECT_EQ(decide(bob, id, digest, "approve", dave.csrf).status, 403);
  EXPECT_EQ(decide(bob, id, digest, "approve", std::string(64, '0')).status, 403);
  EXPECT_EQ(d.request("POST", "/deployments/" + n + "/decide",
                      "csrf=" + bob.csrf + "&digest=" + digest + "&decision=approve", {kForm})
                .status,
            403);
  // Alice is an approver and sees the buttons, but she wrote the commit: no self-approval.
  EXPECT_NE(get(alice, "/deployments/" + n).body.find(">Approve</button>"), std::string::npos);
  auto self = decide(alice, id, digest, "approve", alice.csrf);
  EXPECT_EQ(self.status, 403);
  EXPECT_NE(self.body.find("alice pushed this deployment and cannot approve it"), std::string::npos)
      << self.body;
  // An image other than the one the page showed is not approved.
  EXPECT_EQ(decide(bob, id, "sha256:" + std::string(64, 'c'), "approve", bob.csrf).status, 409);
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 0);
  EXPECT_EQ(state_of(id), "awaiting_approval");
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE outcome = 'refused' AND via = 'page'"), 6);

  // Bob approves from the page: the gate opens and prod gets its commit.
  auto seen_by_bob = get(bob, "/deployments/" + n);
  EXPECT_NE(seen_by_bob.body.find(">Approve</button>"), std::string::npos);
  EXPECT_NE(seen_by_bob.body.find(">Reject</button>"), std::string::npos);
  auto approved = post(bob, "/deployments/" + n + "/decide",
                       "csrf=" + bob.csrf + "&digest=" + digest + "&decision=approve&comment=ok");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_NE(approved.body.find("Approved: Your approval completes the gate"), std::string::npos)
      << approved.body;
  const auto done = d.wait_deployment(run, "success");
  ASSERT_FALSE(done.empty());
  const auto& approvals = done.at("approvals").as_array();
  ASSERT_EQ(approvals.size(), 1u);
  EXPECT_EQ(approvals[0].at("approver").as_string(), "bob");
  EXPECT_EQ(approvals[0].at("via").as_string(), "page");
  EXPECT_EQ(approvals[0].at("comment").as_string(), "ok");
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE action = 'approve' AND outcome = 'done' AND "
                 "actor = 'bob' AND via = 'page'"),
            1);
  auto after = get(dave, "/deployments/" + n);
  EXPECT_NE(after.body.find("<td>bob</td><td>approve</td>"), std::string::npos) << after.body;
  EXPECT_NE(after.body.find("<td>via page</td>"), std::string::npos);
  EXPECT_EQ(decide(bob, id, digest, "approve", bob.csrf).status, 409) << "one vote, then over";
  auto prod = get(dave, "/projects/app");
  EXPECT_NE(prod.body.find(image + ":" + sha.substr(0, 12)), std::string::npos) << prod.body;

  // Unknown things are 404 pages; a stranger sees only the sign-in form.
  EXPECT_EQ(get(dave, "/projects/nope").status, 404);
  EXPECT_EQ(get(dave, "/deployments/999").status, 404);
  EXPECT_EQ(get(dave, "/deployments/abc").status, 404);
  EXPECT_EQ(get(dave, "/deployments/" + n + "/elsewhere").status, 404);
  auto stranger = d.request("GET", "/deployments/" + n);
  EXPECT_EQ(stranger.status, 200);
  EXPECT_EQ(stranger.body.find(image), std::string::npos);
  EXPECT_NE(stranger.body.find("action=\"/sign-in\""), std::string::npos);
  EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST_F(DeploymentPageTest, TheRunFormStartsARunAsTheApiDoesAndShowsItsErrors) {
  ASSERT_TRUE(d.start()) << d.log();
  const Person dave = sign_in("dave-token");
  auto started = post(dave, "/projects/app/runs", "csrf=" + dave.csrf + "&ref=main");
  ASSERT_EQ(started.status, 303) << started.body;
  const std::string location = started.header("Location");
  ASSERT_TRUE(location.starts_with("/runs/")) << location;
  auto run = json::parse(d.api("/api/v1/runs/" + location.substr(6)).body).as_object();
  EXPECT_EQ(run.at("trigger").as_string(), "manual");
  EXPECT_EQ(run.at("sha").as_string(), sha);
  EXPECT_EQ(run.at("environment").as_string(), "prod");

  // Each refusal is the API's, with its status and its sentence, and starts nothing.
  const long long runs = rows("SELECT count(*) FROM runs");
  for (const std::string ref : {"refs/pull/1/head", "no-such-branch"}) {
    auto api = d.api_post("/api/v1/projects/app/runs", R"({"ref":")" + ref + "\"}");
    auto page = post(dave, "/projects/app/runs", "csrf=" + dave.csrf + "&ref=" + ref);
    EXPECT_EQ(page.status, api.status) << ref << ": " << page.body;
    const std::string error(json::parse(api.body).at("error").as_string());
    EXPECT_NE(page.body.find("The run was not started: " + error), std::string::npos)
        << error << "\n"
        << page.body;
    EXPECT_NE(page.body.find("value=\"" + ref + "\""), std::string::npos) << "kept in the form";
  }
  EXPECT_EQ(post(dave, "/projects/app/runs", "csrf=" + dave.csrf + "&ref=").status, 400);
  EXPECT_EQ(post(dave, "/projects/app/runs", "ref=main").status, 403);
  EXPECT_EQ(post(dave, "/projects/nope/runs", "csrf=" + dave.csrf + "&ref=main").status, 404);
  EXPECT_EQ(rows("SELECT count(*) FROM runs"), runs);
  EXPECT_EQ(d.request("PUT", "/projects/app").status, 405);
  EXPECT_EQ(get(dave, "/projects/app/runs").status, 405);
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// A person in Debian's Chromium (tests/browser/deployment_page.mjs): the approver signs in,
// goes from the runs page to the project and to the deployment waiting there, and approves it;
// a signed-in non-approver sees no Approve button. axe-core finds nothing serious on either
// page, neither scrolls sideways on a phone; screenshots in the build's test-artifacts.
TEST_F(DeploymentPageTest, AnApproverApprovesInARealBrowser) {
  ASSERT_TRUE(d.start()) << d.log();
  const auto run = push(sha, "page-browser");
  const auto pending = d.wait_deployment(run, "pending");
  ASSERT_FALSE(pending.empty());
  const auto id = pending.at("id").as_int64();
  ASSERT_EQ(d.api_post("/api/v1/deployments/" + std::to_string(id) + "/trigger").status, 202);
  const auto seen = run_browser_script("deployment_page.mjs",
                                       {"http://127.0.0.1:" + std::to_string(d.port()), "bob-token",
                                        "dave-token", "app", std::to_string(id)},
                                       "deployment-page");
  ASSERT_FALSE(seen.empty());
  ASSERT_FALSE(seen.contains("error")) << json::serialize(seen);
  EXPECT_EQ(seen.at("problems").as_array().size(), 0u) << json::serialize(seen.at("problems"));
  EXPECT_EQ(seen.at("non_approver_buttons").as_int64(), 0);
  EXPECT_EQ(seen.at("approver_buttons").as_int64(), 1);
  EXPECT_FALSE(seen.at("project_phone_overflows").as_bool());
  EXPECT_FALSE(seen.at("deployment_phone_overflows").as_bool());
  EXPECT_NE(std::string(seen.at("outcome").as_string()).find("Approved"), std::string::npos)
      << json::serialize(seen);
  const auto done = d.wait_deployment(run, "success");
  ASSERT_FALSE(done.empty());
  EXPECT_EQ(done.at("approvals").as_array()[0].at("via").as_string(), "page");
  EXPECT_EQ(d.stop(), 0) << d.log();
}

}  // namespace
}  // namespace juanie::test
