// Production changes when a deployment is triggered and approved by the right people — the
// real daemon, podman, registry and git; approval requests go to a real HTTP receiver and a
// real SMTP server on loopback, and approvers act through the links they were sent.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include "daemon/approvals/link_token.hpp"
#include "daemon/support/crypto.hpp"
#include "integration/browser_script.hpp"
#include "integration/daemon_fixture.hpp"
#include "support/busybox_image.hpp"
#include "support/mail_and_hooks.hpp"
#include "support/pushed_repository.hpp"
#include "support/registry.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kHookSecret = "receiver-hmac-secret";
constexpr const char* kSlackToken = "xoxb-0000-slack-bot-token";
const std::vector<std::pair<std::string, std::string>> kForm{
    {"Content-Type", "application/x-www-form-urlencoded"}};

std::string path_of(const std::string& url) {
  const auto at = url.find("/approve/");
  return at == std::string::npos ? url : url.substr(at);
}

std::string csrf_of(const std::string& html) {
  std::smatch m;
  static const std::regex re(R"re(name="csrf" value="([^"]+)")re");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

class ApprovalTest : public ::testing::Test {
 protected:
  ApprovalTest() : d("", true), registry(d.home() / "registry"), smtp(d.home() / "mail") {
    // Answers as DingTalk's robot and Slack's Web API both take for success.
    chat.default_answer(200, R"({"ok":true,"errcode":0,"errmsg":"ok"})");
  }

  std::string git(const std::string& args) {
    int status = 0;
    auto out = sh("git " + args, &status);
    EXPECT_EQ(status, 0) << "git " << args << "\n" << out;
    return out;
  }

  // Commits VERSION=n on main and pushes it; returns the commit.
  std::string commit_version(int n) {
    return app->commit({{"VERSION", std::to_string(n) + "\n"}}, "v" + std::to_string(n),
                       "Alice <alice@example.com>");
  }

  void SetUp() override {
    image = registry.host() + "/acme/app";
    const auto base = ensure_busybox_image();
    app = std::make_unique<PushedRepository>(d.home(), "app", "main");
    app->commit({{".juanie.yml",
                  "steps:\n  - {name: test, commands: [\"test -f VERSION\"]}\n"
                  "image: {dockerfile: Dockerfile, context: .}\n"},
                 {"Dockerfile", "FROM " + base + "\nCOPY VERSION /VERSION\n"}},
                "app");
    sha = commit_version(1);
    PushedRepository(d.home(), "gitops", "main")
        .commit(
            {{"overlays/prod/kustomization.yaml",
              "resources:\n  - ../../base\nimages:\n  - name: " + image + "\n    newTag: old\n"},
             {"base/kustomization.yaml", "resources: []\n"}},
            "init", "Ops <ops@example.com>");

    d.home().write("secrets/app.webhook", kGithubSecret);
    d.home().write("secrets/hook.url", hooks.url() + "\n");
    d.home().write("secrets/hook.secret", kHookSecret);
    d.home().write("secrets/ding.url", chat.url("/robot/send?access_token=ding-token") + "\n");
    d.home().write("secrets/slack.token", std::string(kSlackToken) + "\n");
    // Daemon-wide: e-mail. The project adds its own webhook.
    d.home().write("juanie.yaml", read_file(d.home() / "juanie.yaml") +
                                      "notifications:\n  - {type: email, smtp: \"" + smtp.url() +
                                      "\", from: ci@example.com, to: [ops@example.com]}\n");
    d.home().write(
        "projects.d/app.yaml",
        "name: app\nrepo: {url: " + (d.home() / "app.git").string() +
            ", forge: github, webhook_secret: app.webhook}\n"
            "image: " +
            image +
            "\nregistry: {tls_verify: false}\n"
            "gitops: {url: " +
            (d.home() / "gitops.git").string() +
            ", branch: main}\n"
            "environments:\n  prod: {approvers: [alice, bob, carol], required_approvals: 2}\n"
            "approvers:\n  alice: {email: alice@example.com}\n"
            "  bob: {email: bob@example.com}\n"
            "  carol: {dingtalk: \"13800000000\", slack: U0CAROL}\n"
            "branches: [{match: main, environment: prod, trigger: manual}]\n"
            "notifications:\n  - {type: webhook, url: hook.url, secret: hook.secret}\n"
            "  - {type: dingtalk, url: ding.url}\n"
            "  - {type: slack, token: slack.token, api_url: \"" +
            chat.url("/api") + "\"}\n");
  }

  std::int64_t push(const std::string& commit, const std::string& delivery) {
    const std::string body = push_body("refs/heads/main", commit);
    auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, delivery));
    EXPECT_EQ(r.status, 202) << r.body;
    return json::parse(r.body).at("run").as_int64();
  }

  json::object wait_deployment(std::int64_t run, const std::string& state) {
    return d.wait_deployment(run, state);
  }

  std::string deployment_state(std::int64_t id) {
    auto r = d.api("/api/v1/deployments/" + std::to_string(id));
    return r.status == 200 ? std::string(json::parse(r.body).at("state").as_string()) : "?";
  }

  // The links each approver was sent for `deployment`, by e-mail or Slack direct message:
  // approver → link (whose signed claims name the deployment and the approver).
  std::map<std::string, std::string> approval_links(std::int64_t deployment, std::size_t expected) {
    std::map<std::string, std::string> links;
    const auto key = daemon::approvals::make_signing_key(kApprovalKey);
    auto take = [&](const std::string& text) {
      static const std::regex re(R"re((http://[^\s"<>|]+/approve/[A-Za-z0-9._~-]+))re");
      for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
        const std::string link = (*it)[1].str();
        auto claims = daemon::approvals::verify_link(path_of(link).substr(9), {key});
        if (claims && claims->deployment == deployment) links[claims->approver] = link;
      }
    };
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (links.size() < expected && std::chrono::steady_clock::now() < deadline) {
      for (const auto& mail : smtp.messages()) take(mail);
      for (const auto& req : chat.received()) {
        if (req.path() == "/api/chat.postMessage") take(req.body);
      }
      std::this_thread::sleep_for(50ms);
    }
    return links;
  }

  // What the group channels (the webhook and DingTalk) were told of `deployment`'s approval.
  std::vector<std::string> group_requests(std::int64_t deployment, std::size_t expected) {
    std::vector<std::string> bodies;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (bodies.size() < expected && std::chrono::steady_clock::now() < deadline) {
      bodies.clear();
      for (const auto& req : hooks.received()) {
        auto o = json::parse(req.body).as_object();
        if (o.at("event").as_string() == "approval_requested" &&
            o.at("deployment").as_int64() == deployment) {
          bodies.push_back(req.body);
        }
      }
      for (const auto& req : chat.received()) {
        if (req.path() == "/robot/send" &&
            req.body.find("Deployment " + std::to_string(deployment) + " waits") !=
                std::string::npos) {
          bodies.push_back(req.body);
        }
      }
      std::this_thread::sleep_for(50ms);
    }
    return bodies;
  }

  // GETs the page, then posts the decision with the page's CSRF value (the one the first
  // page gave: a replay carries it too).
  daemon::http::ClientResponse decide(const std::string& link, const std::string& decision,
                                      const std::string& comment = "") {
    auto page = d.request("GET", path_of(link));
    if (csrf_[link].empty()) csrf_[link] = csrf_of(page.body);
    return d.request("POST", path_of(link),
                     "csrf=" + csrf_[link] + "&decision=" + decision + "&comment=" + comment,
                     kForm);
  }
  std::map<std::string, std::string> csrf_;

  long long rows(const std::string& sql) {
    return count_rows((d.home() / "data/juanie.db").string(), sql);
  }

  std::string gitops_commits() {
    return git("-C " + (d.home() / "gitops.git").string() + " rev-list --count main");
  }

  Daemon d;
  Registry registry;
  SmtpSink smtp;
  HookReceiver hooks;
  HookReceiver chat;  // DingTalk's robot and Slack's Web API
  std::unique_ptr<PushedRepository> app;
  std::string image, sha;
};

TEST_F(ApprovalTest, ProdChangesOnlyAfterTriggerAndTwoApprovalsFromTheirOwnLinks) {
  ASSERT_TRUE(d.start()) << d.log();
  const auto run = push(sha, "gated-1");
  // The run tests, builds and pushes; the deployment waits for its trigger.
  const auto pending = wait_deployment(run, "pending");
  ASSERT_FALSE(pending.empty());
  const auto id = pending.at("id").as_int64();
  EXPECT_EQ(gitops_commits(), "1\n");

  auto triggered = d.api_post("/api/v1/deployments/" + std::to_string(id) + "/trigger");
  ASSERT_EQ(triggered.status, 202) << triggered.body;
  EXPECT_EQ(json::parse(triggered.body).at("state").as_string(), "awaiting_approval");
  EXPECT_EQ(d.api_post("/api/v1/deployments/" + std::to_string(id) + "/trigger").status, 409);

  // Each approver gets a link of their own, by e-mail or Slack direct message, and nobody else
  // sees it.
  auto links = approval_links(id, 3);
  ASSERT_EQ(links.size(), 3u) << d.log();
  EXPECT_NE(links["alice"], links["bob"]);
  EXPECT_TRUE(
      links["bob"].starts_with("http://127.0.0.1:" + std::to_string(d.port()) + "/approve/v1."))
      << links["bob"];
  auto mails = smtp.wait_for(2);
  ASSERT_EQ(mails.size(), 2u);
  std::map<std::string, std::string> mail_to;
  for (const auto& m : mails) {
    for (const auto* who : {"alice", "bob"}) {
      if (m.find("X-Envelope-To: " + std::string(who) + "@example.com") != std::string::npos)
        mail_to[who] = m;
    }
  }
  ASSERT_EQ(mail_to.size(), 2u) << mails[0];
  EXPECT_NE(mail_to["alice"].find(links["alice"]), std::string::npos) << mail_to["alice"];
  EXPECT_NE(mail_to["bob"].find(links["bob"]), std::string::npos) << mail_to["bob"];
  EXPECT_EQ(mail_to["bob"].find(links["alice"]), std::string::npos);
  EXPECT_EQ(mail_to["bob"].find(links["carol"]), std::string::npos);
  EXPECT_NE(mail_to["bob"].find("Subject: app: approval requested: deploy " + image),
            std::string::npos);
  std::vector<daemon::http::Request> direct;
  for (const auto& req : chat.received()) {
    if (req.path() == "/api/chat.postMessage") direct.push_back(req);
  }
  ASSERT_EQ(direct.size(), 1u);
  EXPECT_EQ(direct[0].header("Authorization").value_or(""), std::string("Bearer ") + kSlackToken);
  auto dm = json::parse(direct[0].body).as_object();
  EXPECT_EQ(dm.at("channel").as_string(), "U0CAROL");
  EXPECT_NE(
      std::string(dm.at("text").as_string()).find("<" + links["carol"] + "|Approve or reject>"),
      std::string::npos)
      << direct[0].body;
  // The group channels — the webhook and the DingTalk chat, where the pusher may be too — hear
  // who must approve, with mentions, and where to decide: never a link.
  auto group = group_requests(id, 2);
  ASSERT_EQ(group.size(), 2u) << d.log();
  for (const auto& body : group) {
    EXPECT_EQ(body.find("/approve/"), std::string::npos) << body;
    EXPECT_EQ(body.find("\"link\""), std::string::npos) << body;
    for (const auto& [who, link] : links)
      EXPECT_EQ(body.find(path_of(link).substr(9)), std::string::npos);
  }
  auto webhook = json::parse(group[0]).as_object();
  EXPECT_EQ(webhook.at("approvers").as_string(), "alice, bob, carol");
  EXPECT_EQ(webhook.at("required_approvals").as_string(), "2");
  auto ding = json::parse(group[1]).as_object();
  EXPECT_EQ(ding.at("msgtype").as_string(), "markdown");
  EXPECT_EQ(ding.at("at").at("atMobiles").as_array()[0].as_string(), "13800000000");
  const std::string ding_text(ding.at("markdown").at("text").as_string());
  EXPECT_NE(ding_text.find("Deployment " + std::to_string(id) +
                           " waits for 2 approval(s) from alice, bob, carol"),
            std::string::npos)
      << ding_text;
  EXPECT_NE(ding_text.find("their own link, sent to them alone"), std::string::npos) << ding_text;
  for (const auto& req : hooks.received()) {
    EXPECT_EQ(req.header("X-Juanie-Signature-256").value_or(""),
              "sha256=" + daemon::hex_encode(daemon::hmac_sha256(kHookSecret, req.body)));
  }
  // No token of any kind reaches a group channel.
  const std::string outbox_links =
      std::to_string(rows("SELECT count(*) FROM outbox WHERE payload LIKE '%/approve/%' AND sink "
                          "NOT LIKE '%\"type\":\"email\"%' "
                          "AND sink NOT LIKE '%\"token\":\"slack.token\"%'"));
  EXPECT_EQ(outbox_links, "0");

  auto waiting =
      json::parse(d.api("/api/v1/approvals?state=pending").body).at("approvals").as_array();
  EXPECT_EQ(waiting.size(), 3u);

  // Opening the link — as a mail scanner would — shows the change and records nothing.
  auto page = d.request("GET", path_of(links["bob"]));
  ASSERT_EQ(page.status, 200) << page.body;
  const std::string tag = sha.substr(0, 12);
  EXPECT_NE(page.body.find(image + ":" + tag), std::string::npos);
  EXPECT_NE(page.body.find("overlays/prod/kustomization.yaml"), std::string::npos);
  EXPECT_NE(page.body.find("images[name=" + image + "].newTag: " + tag +
                           ", digest: " + std::string(pending.at("digest").as_string())),
            std::string::npos);
  EXPECT_NE(page.body.find(sha), std::string::npos);
  EXPECT_NE(page.body.find("Triggered by</th><td>tests"), std::string::npos);
  EXPECT_EQ(page.header("Cache-Control"), "no-store");
  EXPECT_EQ(page.header("Referrer-Policy"), "no-referrer");
  EXPECT_TRUE(page.header("Content-Type").starts_with("text/html"));
  EXPECT_TRUE(page.header("Content-Security-Policy").starts_with("default-src 'none'"));
  EXPECT_EQ(page.body.find("<script"), std::string::npos);
  EXPECT_EQ(page.body.find("src="), std::string::npos);
  for (int i = 0; i < 3; ++i) d.request("GET", path_of(links["carol"]));
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 0);
  EXPECT_EQ(deployment_state(id), "awaiting_approval");

  // Refusals, none of which changes anything.
  auto self = decide(links["alice"], "approve");
  EXPECT_EQ(self.status, 403);
  EXPECT_NE(self.body.find("alice pushed this deployment and cannot approve it"), std::string::npos)
      << self.body;
  std::string tampered = path_of(links["bob"]);
  tampered[tampered.size() - 60] = tampered[tampered.size() - 60] == 'A' ? 'B' : 'A';
  EXPECT_EQ(d.request("GET", tampered).status, 403);
  auto forged = d.request("POST", tampered, "csrf=x&decision=approve", kForm);
  EXPECT_EQ(forged.status, 403);
  EXPECT_NE(forged.body.find("altered"), std::string::npos) << forged.body;
  daemon::approvals::LinkClaims mallory{id,
                                        "mallory",
                                        "prod",
                                        std::string(pending.at("digest").as_string()),
                                        std::time(nullptr) + 3600,
                                        "nonce-of-mallory",
                                        ""};
  auto stranger =
      decide("/approve/" + daemon::approvals::sign_link(
                               mallory, daemon::approvals::make_signing_key(kApprovalKey)),
             "approve");
  EXPECT_EQ(stranger.status, 403);
  EXPECT_NE(stranger.body.find("mallory is not an approver of this environment"),
            std::string::npos);
  auto no_csrf = d.request("POST", path_of(links["bob"]), "decision=approve", kForm);
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 0);
  EXPECT_EQ(deployment_state(id), "awaiting_approval");

  // Bob approves: one of two. His link does not work twice.
  auto bob = decide(links["bob"], "approve", "looks+good");
  EXPECT_EQ(bob.status, 200) << bob.body;
  EXPECT_NE(bob.body.find("1 of 2"), std::string::npos) << bob.body;
  EXPECT_EQ(decide(links["bob"], "approve").status, 409);
  EXPECT_EQ(d.request("GET", path_of(links["bob"])).status, 409);
  EXPECT_EQ(deployment_state(id), "awaiting_approval");
  EXPECT_EQ(gitops_commits(), "1\n");

  // Carol's approval completes the gate: the prod overlay gets its one commit.
  auto carol = decide(links["carol"], "approve");
  EXPECT_EQ(carol.status, 200) << carol.body;
  const auto done = wait_deployment(run, "success");
  ASSERT_FALSE(done.empty());
  EXPECT_EQ(gitops_commits(), "2\n");
  const std::string ops = "-C " + (d.home() / "gitops.git").string() + " ";
  EXPECT_EQ(git(ops + "diff --name-only main~1 main"), "overlays/prod/kustomization.yaml\n");
  // The overlay pins the digest the approvals were given for: moving the tag changes nothing.
  const auto overlay = git(ops + "show main:overlays/prod/kustomization.yaml");
  EXPECT_NE(overlay.find("digest: " + std::string(done.at("digest").as_string())),
            std::string::npos)
      << overlay;
  EXPECT_TRUE(overlay.find("newTag: " + tag) != std::string::npos ||
              overlay.find("newTag: \"" + tag + "\"") != std::string::npos)
      << overlay;
  const auto& approvals = done.at("approvals").as_array();
  ASSERT_EQ(approvals.size(), 2u);
  EXPECT_EQ(approvals[0].at("approver").as_string(), "bob");
  EXPECT_EQ(approvals[0].at("comment").as_string(), "looks good");
  EXPECT_EQ(approvals[0].at("source_address").as_string(), "127.0.0.1");
  EXPECT_EQ(approvals[1].at("approver").as_string(), "carol");
  EXPECT_EQ(done.at("triggered_by").as_string(), "tests");

  // Told: the webhook and the operators' mailbox.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  bool told = false;
  while (!told && std::chrono::steady_clock::now() < deadline) {
    for (const auto& req : hooks.received()) {
      told = told || json::parse(req.body).at("event").as_string() == "deployment_succeeded";
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(told);
  // Nothing a group channel received, from first to last, carried a link.
  for (const auto& req : hooks.received())
    EXPECT_EQ(req.body.find("/approve/"), std::string::npos) << req.body;
  for (const auto& req : chat.received()) {
    if (req.path() != "/api/chat.postMessage") {
      EXPECT_EQ(req.body.find("/approve/"), std::string::npos) << req.body;
    }
  }
  auto all_mail = smtp.wait_for(3);
  ASSERT_EQ(all_mail.size(), 3u);
  EXPECT_NE(all_mail[2].find("X-Envelope-To: ops@example.com"), std::string::npos);
  EXPECT_NE(all_mail[2].find("Subject: app: deployed " + image + ":" + tag + " to prod"),
            std::string::npos);
  const auto metrics = d.request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("juanie_deployments{environment=\"prod\",state=\"success\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("juanie_notifications_total{result=\"delivered\",sink=\"webhook\"}"),
            std::string::npos);
  EXPECT_NE(metrics.find("juanie_notifications_total{result=\"delivered\",sink=\"email\"}"),
            std::string::npos);
  // The store holds approval links: only the daemon's user may read it.
  for (const char* file : {"data/juanie.db", "data/juanie.db-wal", "data/juanie.db-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat((d.home() / file).c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
  }
  // Every refused attempt of a correctly signed link is in the audit log, and the decisions;
  // the tampered link (GET and POST) names nobody: counted, never stored.
  EXPECT_GE(rows("SELECT count(*) FROM audit WHERE outcome = 'refused'"), 4);
  EXPECT_NE(metrics.find(R"(juanie_approval_refusals_total{reason="invalid_link"} 2)"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(rows("SELECT count(*) FROM audit WHERE outcome = 'done' AND action = 'approve'"), 2);
}

// A person, not curl: the approver opens the link in a real browser on a phone and on a
// desktop, the page passes axe-core's checks and fits the phone, and the decision is made by
// keyboard alone — and counts exactly as the form's POST does.
TEST_F(ApprovalTest, ApproversDecideFromTheirLinksInARealBrowser) {
  ASSERT_TRUE(d.start()) << d.log();
  const auto run = push(sha, "browser-1");
  const auto pending = wait_deployment(run, "pending");
  ASSERT_FALSE(pending.empty());
  const auto id = pending.at("id").as_int64();
  ASSERT_EQ(d.api_post("/api/v1/deployments/" + std::to_string(id) + "/trigger").status, 202);
  auto links = approval_links(id, 3);
  ASSERT_EQ(links.size(), 3u) << d.log();

  // What tests/browser/approval_page.mjs saw and did in Chromium: axe-core's serious findings
  // on a phone and a desktop, whether the phone must scroll sideways, the page after deciding.
  const auto bob = run_browser_script(
      "approval_page.mjs", {links["bob"], "approve", "fine on my phone"}, "approval-bob");
  ASSERT_FALSE(bob.empty());
  ASSERT_FALSE(bob.contains("error"));
  EXPECT_EQ(bob.at("problems").as_array().size(), 0u) << json::serialize(bob.at("problems"));
  EXPECT_FALSE(bob.at("phone_overflows").as_bool());
  EXPECT_NE(std::string(bob.at("heading").as_string()).find("prod"), std::string::npos)
      << json::serialize(bob);
  EXPECT_TRUE(bob.at("comment_reached_by_tab").as_bool());
  EXPECT_TRUE(bob.at("button_reached_by_tab").as_bool());
  EXPECT_NE(std::string(bob.at("answer_text").as_string()).find("1 of 2"), std::string::npos)
      << json::serialize(bob);
  EXPECT_EQ(deployment_state(id), "awaiting_approval");

  const auto carol = run_browser_script("approval_page.mjs", {links["carol"], "approve", "ship it"},
                                        "approval-carol");
  ASSERT_FALSE(carol.empty());
  ASSERT_FALSE(carol.contains("error"));
  EXPECT_EQ(carol.at("problems").as_array().size(), 0u) << json::serialize(carol.at("problems"));
  const auto done = wait_deployment(run, "success");
  ASSERT_FALSE(done.empty());
  const auto& approvals = done.at("approvals").as_array();
  ASSERT_EQ(approvals.size(), 2u);
  EXPECT_EQ(approvals[0].at("approver").as_string(), "bob");
  EXPECT_EQ(approvals[0].at("comment").as_string(), "fine on my phone");
  EXPECT_EQ(approvals[1].at("approver").as_string(), "carol");
  EXPECT_EQ(approvals[1].at("comment").as_string(), "ship it");
}

TEST_F(ApprovalTest, WaitingDeploymentsAreSupersededRejectedWithdrawnOrStartedByHand) {
  const std::string dave_token = d.add_api_token("dave", "dave-token", "dave");
  const std::string erin_token = d.add_api_token("erin", "erin-token", "erin");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string trigger = std::string(JUANIE_BINARY) +
                              " trigger --url http://127.0.0.1:" + std::to_string(d.port()) +
                              " --token-file ";
  const auto first = wait_deployment(push(sha, "older-1"), "pending");
  ASSERT_FALSE(first.empty());
  const auto first_id = first.at("id").as_int64();
  ASSERT_EQ(d.api_post("/api/v1/deployments/" + std::to_string(first_id) + "/trigger").status, 202);
  auto old_links = approval_links(first_id, 3);
  ASSERT_EQ(old_links.size(), 3u);

  // A newer commit: its deployment cancels the one still waiting.
  const std::string newer = commit_version(2);
  const auto second = wait_deployment(push(newer, "newer-1"), "pending");
  ASSERT_FALSE(second.empty());
  const auto second_id = second.at("id").as_int64();
  auto older =
      json::parse(d.api("/api/v1/deployments/" + std::to_string(first_id)).body).as_object();
  EXPECT_EQ(older.at("state").as_string(), "cancelled");
  EXPECT_TRUE(std::string(older.at("reason").as_string())
                  .starts_with("superseded by deployment " + std::to_string(second_id)))
      << older.at("reason");
  // Bob opens his link to the old one: it says what became of it, and offers no form.
  auto old_page = d.request("GET", path_of(old_links["bob"]));
  EXPECT_EQ(old_page.status, 409);
  EXPECT_NE(old_page.body.find("is cancelled (superseded by deployment"), std::string::npos)
      << old_page.body;
  EXPECT_EQ(old_page.body.find("<form"), std::string::npos);

  // Triggered from the command line, as an operator on the build node.
  int status = 0;
  const auto out = sh(trigger + dave_token + " app main 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("deployment " + std::to_string(second_id) + " of " + image), std::string::npos)
      << out;
  EXPECT_NE(out.find("triggered by dave: awaiting_approval"), std::string::npos) << out;
  auto links = approval_links(second_id, 3);  // sent by the daemon from the outbox the CLI wrote
  ASSERT_EQ(links.size(), 3u) << d.log();
  // The command-line link for an approver works like the mailed one.
  const auto printed =
      sh(std::string(JUANIE_BINARY) + " approval-link --config " +
             (d.home() / "juanie.yaml").string() + " " + std::to_string(second_id) + " bob",
         &status);
  ASSERT_EQ(status, 0) << printed;
  EXPECT_EQ(d.request("GET", path_of(printed.substr(0, printed.size() - 1))).status, 200);
  const auto refused = sh(std::string(JUANIE_BINARY) + " approval-link --config " +
                              (d.home() / "juanie.yaml").string() + " " +
                              std::to_string(second_id) + " mallory 2>&1",
                          &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(refused.find("mallory is not an approver of app's prod"), std::string::npos) << refused;

  const std::string bob_csrf = csrf_of(d.request("GET", path_of(links["bob"])).body);
  ASSERT_FALSE(bob_csrf.empty());
  // A rejection by any approver cancels it; alice may reject what she pushed.
  auto rejected = decide(links["alice"], "reject", "not+today");
  EXPECT_EQ(rejected.status, 200) << rejected.body;
  auto cancelled =
      json::parse(d.api("/api/v1/deployments/" + std::to_string(second_id)).body).as_object();
  EXPECT_EQ(cancelled.at("state").as_string(), "cancelled");
  EXPECT_EQ(cancelled.at("reason").as_string(), "rejected by alice: not today");
  // Bob had the page open: his approval now finds nothing to decide.
  auto late =
      d.request("POST", path_of(links["bob"]), "csrf=" + bob_csrf + "&decision=approve", kForm);
  EXPECT_EQ(late.status, 409);
  EXPECT_NE(late.body.find("it no longer waits for approval"), std::string::npos) << late.body;
  EXPECT_EQ(gitops_commits(), "1\n");
  bool told = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!told && std::chrono::steady_clock::now() < deadline) {
    for (const auto& req : hooks.received()) {
      auto o = json::parse(req.body).as_object();
      told = told || (o.at("event").as_string() == "deployment_cancelled" &&
                      o.at("deployment").as_int64() == second_id);
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(told);

  // An operator withdraws a deployment that waits: cancelled, and it stays so.
  const auto third = wait_deployment(push(commit_version(3), "third-1"), "pending");
  ASSERT_FALSE(third.empty());
  const std::string cancel =
      "/api/v1/deployments/" + std::to_string(third.at("id").as_int64()) + "/cancel";
  auto withdrawn = d.api_post(cancel);
  ASSERT_EQ(withdrawn.status, 200) << withdrawn.body;
  EXPECT_EQ(json::parse(withdrawn.body).at("state").as_string(), "cancelled");
  EXPECT_EQ(d.api_post(cancel).status, 409);
  auto record =
      json::parse(d.api("/api/v1/deployments/" + std::to_string(third.at("id").as_int64())).body);
  EXPECT_EQ(record.at("reason").as_string(), "cancelled by tests");
  EXPECT_EQ(gitops_commits(), "1\n");

  // Nothing pending for main: `juanie trigger` starts a run of main's head, and its
  // deployment goes straight to approval, triggered by the holder of the token it used.
  const auto started = sh(trigger + erin_token + " app main 2>&1", &status);
  ASSERT_EQ(status, 0) << started;
  std::smatch m;  // (not anchored: under ASan, LeakSanitizer's report precedes it on stderr)
  ASSERT_TRUE(std::regex_search(
      started, m, std::regex("queued run ([0-9]+) of refs/heads/main at ([0-9a-f]{12}) for prod")))
      << started;
  const std::string head = git("-C " + app->bare() + " rev-parse main");
  EXPECT_EQ(m[2].str(), head.substr(0, 12));
  const auto manual = wait_deployment(std::stoll(m[1].str()), "awaiting_approval");
  ASSERT_FALSE(manual.empty());
  EXPECT_EQ(manual.at("triggered_by").as_string(), "erin");
  auto run_json = json::parse(d.api("/api/v1/runs/" + m[1].str()).body).as_object();
  EXPECT_EQ(run_json.at("trigger").as_string(), "manual");
  EXPECT_EQ(run_json.at("pusher").as_string(), "erin");
}

// Who pushed, who wrote the commits and who triggered: none of them approves, under whatever
// name they act — a forge login, a commit address, an API token that is theirs — and the
// daemon remembers it across a restart.
TEST_F(ApprovalTest, NoAuthorOfADeploymentApprovesItUnderAnotherName) {
  d.home().write(
      "projects.d/app.yaml",
      "name: app\nrepo: {url: " + (d.home() / "app.git").string() +
          ", forge: github, webhook_secret: app.webhook}\n"
          "image: " +
          image +
          "\nregistry: {tls_verify: false}\n"
          "gitops: {url: " +
          (d.home() / "gitops.git").string() +
          ", branch: main}\n"
          "environments:\n  prod: {approvers: [alice, bob, carol, dave], required_approvals: 1}\n"
          "approvers:\n  alice: {email: alice@example.com, github: alice-gh}\n"
          "  bob: {email: bob@example.com}\n  carol: {email: carol@example.com}\n"
          "  dave: {email: dave@example.com, github: dave-gh}\n"
          "branches: [{match: main, environment: prod, trigger: manual}]\n");
  // The ops token is carol's.
  const std::string config = read_file(d.home() / "juanie.yaml");
  const auto tokens = config.find("api_tokens:\n");
  ASSERT_NE(tokens, std::string::npos);
  d.home().write("juanie.yaml", config.substr(0, tokens + 12) + "  - {name: ops, sha256: " +
                                    daemon::hex_encode(daemon::sha256("ops-token")) +
                                    ", person: carol}\n" + config.substr(tokens + 12));
  ASSERT_TRUE(d.start()) << d.log();
  // Bob wrote a commit, alice wrote the head and pushed both as alice-gh.
  const std::string first =
      app->commit({{"NOTES", "bob\n"}}, "a change by bob", "Bob <bob@example.com>");
  const std::string head =
      app->commit({{"VERSION", "2\n"}}, "v2", "Alice <12345+alice-gh@users.noreply.github.com>");
  auto commit_json = [](const std::string& id, const std::string& email) {
    return R"({"id":")" + id + R"(","message":"change","author":{"name":"x","email":")" + email +
           R"("},"committer":{"name":"GitHub","email":"noreply@github.com"}})";
  };
  const std::string body =
      R"({"ref":"refs/heads/main","before":")" + sha + R"(","after":")" + head +
      R"(","created":false,"deleted":false,"pusher":{"name":"alice-gh","email":"12345+alice-gh@users.noreply.github.com"},)"
      R"("sender":{"login":"alice-gh"},"repository":{"full_name":"acme/app"},"commits":[)" +
      commit_json(first, "bob@example.com") + "," +
      commit_json(head, "12345+alice-gh@users.noreply.github.com") + R"(],"head_commit":)" +
      commit_json(head, "12345+alice-gh@users.noreply.github.com") + "}";
  auto pushed = d.request("POST", "/hooks/github/app", body, github_headers(body, "authors-1"));
  ASSERT_EQ(pushed.status, 202) << pushed.body;
  const auto run = json::parse(pushed.body).at("run").as_int64();
  const auto pending = wait_deployment(run, "pending");
  ASSERT_FALSE(pending.empty());
  const auto id = pending.at("id").as_int64();
  auto triggered = d.request("POST", "/api/v1/deployments/" + std::to_string(id) + "/trigger", "",
                             {{"Authorization", "Bearer ops-token"}});
  ASSERT_EQ(triggered.status, 202) << triggered.body;
  const auto record =
      json::parse(d.api("/api/v1/deployments/" + std::to_string(id)).body).as_object();
  EXPECT_EQ(record.at("triggered_by").as_string(), "ops");
  EXPECT_EQ(record.at("triggered_person").as_string(), "carol");

  auto link = [&](const std::string& who) {
    int status = 0;
    const auto out =
        sh(std::string(JUANIE_BINARY) + " approval-link --config " +
               (d.home() / "juanie.yaml").string() + " " + std::to_string(id) + " " + who,
           &status);
    EXPECT_EQ(status, 0) << out;
    return out.substr(0, out.find('\n'));
  };
  std::map<std::string, std::string> links;
  for (const char* who : {"alice", "bob", "carol", "dave"}) links[who] = link(who);
  auto refused = [&](const std::string& who, const std::string& why) {
    auto r = decide(links[who], "approve");
    EXPECT_EQ(r.status, 403) << who << ": " << r.body;
    EXPECT_NE(r.body.find(who + " " + why + " this deployment and cannot approve it"),
              std::string::npos)
        << r.body;
  };
  refused("alice", "pushed");
  refused("bob", "authored a commit of");
  refused("carol", "triggered");
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 0);

  // After a restart the daemon still knows who they are.
  EXPECT_EQ(d.stop(), 0);
  ASSERT_TRUE(d.start()) << d.log();
  refused("alice", "pushed");
  refused("carol", "triggered");
  EXPECT_EQ(deployment_state(id), "awaiting_approval");
  // Dave had no part in it: his approval completes the gate.
  auto dave = decide(links["dave"], "approve");
  EXPECT_EQ(dave.status, 200) << dave.body;
  EXPECT_FALSE(wait_deployment(run, "success").empty());
  EXPECT_EQ(rows("SELECT count(*) FROM approvals"), 1);
}

}  // namespace
}  // namespace juanie::test
