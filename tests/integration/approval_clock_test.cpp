// What time decides — link expiry, approval deadlines, notification retries — driven by an
// injected clock over the real store (SQLite files), the real approval pages and real sinks
// on loopback (an HTTP receiver and an SMTP server).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <future>

#include "daemon/approvals/approval_desk.hpp"
#include "daemon/approvals/approval_flow.hpp"
#include "daemon/config/loader.hpp"
#include "daemon/notify/dispatcher.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/store/approvals.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/outbox.hpp"
#include "support/mail_and_hooks.hpp"
#include "support/manual_clock.hpp"
#include "support/temp_dir.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using daemon::store::Database;

class ApprovalClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home.write("secrets/approval.key", "a-signing-key-for-the-clock-tests-0123456789");
    home.write("secrets/hook.url", hooks.url());
    home.write("juanie.yaml",
               "data_dir: data\nprojects_dir: projects.d\nsecrets_dir: secrets\n"
               "public_url: https://ci.example.com/\n"
               "approvals: {signing_key: approval.key, link_ttl: 1h}\n"
               "notifications:\n  - {type: webhook, url: hook.url}\n");
    write_project("");
    load();
  }

  void write_project(const std::string& prod_extra) {
    home.write("projects.d/app.yaml",
               "name: app\nrepo: {url: /nowhere.git, forge: github, webhook_secret: hook.url}\n"
               "image: registry.example.com/app\n"
               "environments:\n  prod: {approvers: [bob]" +
                   prod_extra +
                   "}\n"
                   "approvers:\n  bob: {email: bob@example.com}\n"
                   "branches: [{match: main, environment: prod, trigger: manual}]\n");
  }

  void load() {
    std::filesystem::create_directories(home / "data");
    auto c = daemon::config::load_configuration(home / "juanie.yaml", std::nullopt);
    ASSERT_TRUE(c) << c.error().message;
    configuration = std::make_unique<daemon::config::Configuration>(std::move(*c));
    auto w = daemon::store::Writer::open(home / "data/juanie.db", 100);
    ASSERT_TRUE(w) << w.error().message;
    writer = std::move(*w);
    auto r = daemon::store::Reader::open(home / "data/juanie.db");
    ASSERT_TRUE(r);
    reader = std::make_unique<daemon::store::Reader>(std::move(*r));
    notifier = std::make_unique<daemon::notify::Notifier>(configuration->daemon, nullptr);
    flow = std::make_unique<daemon::approvals::ApprovalFlow>(
        configuration->daemon,
        std::vector{
            daemon::approvals::make_signing_key("a-signing-key-for-the-clock-tests-0123456789")},
        *notifier);
    registry = std::make_unique<daemon::ProjectRegistry>(configuration->projects);
    desk = std::make_unique<daemon::approvals::ApprovalDesk>(
        daemon::approvals::DeskDeps{*flow, *writer, *reader, *registry, clock, log, nullptr});
  }

  const daemon::config::ProjectConfig& project() {
    return configuration->projects.at("app")->config;
  }

  template <typename F>
  void write(F&& f) {
    auto ok = daemon::store::write_and_wait(*writer, std::forward<F>(f));
    ASSERT_TRUE(ok) << ok.error().message;
  }

  // A run of main (pushed by alice) whose image waits in a pending deployment, then triggered.
  std::int64_t awaiting_deployment() {
    std::int64_t id = 0;
    write([&](Database& db) -> Result<void> {
      daemon::store::RunRequest r;
      r.project = "app";
      r.forge = "github";
      r.delivery = "d-" + std::to_string(++deliveries);
      r.event = "push";
      r.ref = "refs/heads/main";
      r.ref_kind = "branch";
      r.branch = "main";
      r.sha = std::string(40, 'a');
      r.environment = "prod";
      r.deploy_trigger = "manual";
      r.pusher = "alice";
      auto run = daemon::store::record_push(db, r, daemon::rfc3339(clock.now()));
      if (!run) return std::unexpected(run.error());
      daemon::store::DeploymentRecord d;
      d.run = run->run_id;
      d.project = "app";
      d.environment = "prod";
      d.image = "registry.example.com/app";
      d.tag = "aaaaaaa";
      d.digest = "sha256:" + std::string(64, 'b');
      auto created = daemon::store::create_deployment(db, d, daemon::rfc3339(clock.now()));
      if (!created) return std::unexpected(created.error());
      auto found = daemon::store::find_run(db, run->run_id);
      auto admitted = flow->admit(db, project(), **found, *created, clock.now());
      if (!admitted) return std::unexpected(admitted.error());
      auto next = flow->trigger(db, project(), created->id, "carol", "", clock.now());
      if (!next) return std::unexpected(next.error());
      id = created->id;
      return {};
    });
    return id;
  }

  std::string link_path(std::int64_t deployment) {
    auto link =
        reader->with([&](Database& db) { return flow->link(db, project(), deployment, "bob"); });
    EXPECT_TRUE(link) << link.error().message;
    EXPECT_TRUE(link->starts_with("https://ci.example.com/approve/")) << *link;
    return link->substr(std::string("https://ci.example.com").size());
  }

  daemon::http::Response call(const std::string& method, const std::string& target,
                              const std::string& body = "") {
    daemon::http::Request req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.remote_address = "192.0.2.7";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"User-Agent", "test"}};
    std::promise<daemon::http::Response> answered;
    desk->handle(req, [&](daemon::http::Response r) { answered.set_value(std::move(r)); });
    return answered.get_future().get();
  }

  std::string state_of(std::int64_t id) {
    auto d = reader->with([&](Database& db) { return daemon::store::find_deployment(db, id); });
    return d && *d ? std::string(pipelines::to_string((*d)->state)) : "?";
  }

  long long count(const std::string& sql) {
    return reader->with([&](Database& db) -> long long {
      auto s = db.prepare(sql);
      if (!s || !s->step()) return -1;
      return s->int64(0);
    });
  }

  TempDir home;
  HookReceiver hooks;
  ManualClock clock;
  std::ostringstream log_text;
  daemon::Log log{log_text};
  std::unique_ptr<daemon::config::Configuration> configuration;
  std::unique_ptr<daemon::store::Writer> writer;
  std::unique_ptr<daemon::store::Reader> reader;
  std::unique_ptr<daemon::notify::Notifier> notifier;
  std::unique_ptr<daemon::approvals::ApprovalFlow> flow;
  std::unique_ptr<daemon::ProjectRegistry> registry;
  std::unique_ptr<daemon::approvals::ApprovalDesk> desk;
  int deliveries = 0;
};

TEST_F(ApprovalClockTest, AnExpiredLinkIsRefusedAndTheWaitingDeploymentIsCancelled) {
  const auto id = awaiting_deployment();
  ASSERT_EQ(state_of(id), "awaiting_approval");
  const std::string path = link_path(id);
  auto page = call("GET", path);
  EXPECT_EQ(page.status, 200);

  clock.advance(std::chrono::seconds(3601));
  auto expired = call("GET", path);
  EXPECT_EQ(expired.status, 410);
  EXPECT_NE(expired.body.find("This approval link expired at 2030-03-17T18:46:40Z"),
            std::string::npos)
      << expired.body;
  auto late = call("POST", path, "csrf=x&decision=approve");
  EXPECT_EQ(late.status, 410);
  EXPECT_EQ(count("SELECT count(*) FROM approvals"), 0);
  EXPECT_EQ(
      count(
          "SELECT count(*) FROM audit WHERE outcome = 'refused' AND source_address = '192.0.2.7'"),
      1);
  EXPECT_EQ(state_of(id), "awaiting_approval");

  // The deployment loop's sweep: cancelled as expired, and told.
  int n = 0;
  write([&](Database& db) -> Result<void> {
    auto r = flow->expire_due(
        db, [&](const std::string&) { return &project(); }, clock.now());
    if (!r) return std::unexpected(r.error());
    n = *r;
    return {};
  });
  EXPECT_EQ(n, 1);
  EXPECT_EQ(state_of(id), "cancelled");
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE event = 'deployment_cancelled'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM deployments WHERE reason = "
                  "'expired: no decision before 2030-03-17T18:46:40Z'"),
            1);
}

// The status page decides through the links' flow and keeps its rules: a person who is not an
// approver is refused, and past the deployment's deadline — before the sweep has cancelled it
// — so is an approver; nothing is recorded but the refusals, marked `via page`.
TEST_F(ApprovalClockTest, APageDecisionKeepsTheLinksRulesAndItsDeadline) {
  auto page_decision = [&](std::int64_t id, const std::string& approver) {
    daemon::approvals::DecisionRequest r;
    r.claims.deployment = id;
    r.claims.approver = approver;
    r.claims.environment = "prod";
    r.claims.digest = "sha256:" + std::string(64, 'b');
    r.decision = "approve";
    r.source_address = "192.0.2.8";
    r.via = "page";
    daemon::approvals::DecisionOutcome outcome;
    write([&](Database& db) -> Result<void> {
      auto o = flow->decide(db, project(), r, clock.now());
      if (!o) return std::unexpected(o.error());
      outcome = *o;
      return {};
    });
    return outcome;
  };
  const auto id = awaiting_deployment();
  EXPECT_EQ(page_decision(id, "mallory").status, 403);
  clock.advance(std::chrono::seconds(3601));
  const auto late = page_decision(id, "bob");
  EXPECT_EQ(late.status, 410);
  EXPECT_NE(late.message.find("waited for approval until 2030-03-17T18:46:40Z"), std::string::npos)
      << late.message;
  EXPECT_EQ(count("SELECT count(*) FROM approvals"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit WHERE outcome = 'refused' AND via = 'page'"), 2);
  EXPECT_EQ(state_of(id), "awaiting_approval");
}

TEST_F(ApprovalClockTest, AnEnvironmentDeadlineShortensTheWait) {
  write_project(", approval_timeout: 10m");
  load();
  const auto id = awaiting_deployment();
  const std::string path = link_path(id);
  clock.advance(std::chrono::seconds(599));
  EXPECT_EQ(call("GET", path).status, 200);
  clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(call("GET", path).status, 410);
}

TEST_F(ApprovalClockTest, NotificationsAreRetriedWithBackoffUntilDeliveredAndSurviveARestart) {
  hooks.answer_next(500, "down");
  hooks.answer_next(503, "still down");
  awaiting_deployment();  // one approval request for bob, in the outbox
  ASSERT_EQ(count("SELECT count(*) FROM outbox WHERE state = 'pending'"), 1);
  daemon::notify::Dispatcher dispatcher(daemon::notify::DispatcherDeps{
      configuration->daemon, *writer, *reader, clock, log, nullptr, 10s, 5});
  EXPECT_EQ(dispatcher.deliver_due(), 1);  // 500: next attempt in 10 s
  EXPECT_EQ(dispatcher.deliver_due(), 0);  // not due yet
  clock.advance(10s);
  EXPECT_EQ(dispatcher.deliver_due(), 1);  // 503: next in 20 s
  clock.advance(19s);
  EXPECT_EQ(dispatcher.deliver_due(), 0);
  EXPECT_EQ(count("SELECT attempts FROM outbox"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE last_error LIKE '%HTTP 503%'"), 1);

  // The daemon restarts: the message is still there, and goes out once due.
  writer->stop();
  writer.reset();
  reader.reset();
  load();
  daemon::notify::Dispatcher after(daemon::notify::DispatcherDeps{
      configuration->daemon, *writer, *reader, clock, log, nullptr, 10s, 5});
  clock.advance(1s);
  EXPECT_EQ(after.deliver_due(), 1);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE state = 'delivered' AND attempts = 3"), 1);
  const auto got = hooks.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].body, got[2].body);  // the same message each time
  EXPECT_EQ(got[2].header("X-Juanie-Delivery"), got[0].header("X-Juanie-Delivery"));
  // A group channel: who must approve, never their link — and bob, whom no personal channel
  // reaches here, is named so an operator can hand him his.
  const auto request = json::parse(got[2].body).as_object();
  EXPECT_EQ(request.at("approvers").as_string(), "bob");
  EXPECT_EQ(request.at("unreached").as_string(), "bob");
  EXPECT_FALSE(request.contains("link"));
  EXPECT_EQ(got[2].body.find("/approve/"), std::string::npos);
}

TEST_F(ApprovalClockTest, AMessageIsGivenUpAfterItsLastAttempt) {
  hooks.default_answer(500, "never");
  awaiting_deployment();
  daemon::notify::Dispatcher dispatcher(daemon::notify::DispatcherDeps{
      configuration->daemon, *writer, *reader, clock, log, nullptr, 1s, 2});
  EXPECT_EQ(dispatcher.deliver_due(), 1);
  clock.advance(1s);
  EXPECT_EQ(dispatcher.deliver_due(), 1);
  clock.advance(1h);
  EXPECT_EQ(dispatcher.deliver_due(), 0);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE state = 'abandoned' AND attempts = 2"), 1);
  EXPECT_NE(log_text.str().find("given up after 2 attempts"), std::string::npos) << log_text.str();
}

TEST_F(ApprovalClockTest, DingTalkGetsASignedUrlAndItsRefusalIsAFailure) {
  home.write("secrets/ding.url", hooks.url("/robot/send?access_token=tok"));
  home.write("secrets/ding.secret", "SECdemo-secret");
  home.write("juanie.yaml",
             "data_dir: data\nprojects_dir: projects.d\nsecrets_dir: secrets\n"
             "approvals: {signing_key: approval.key}\n"
             "notifications:\n  - {type: dingtalk, url: ding.url, secret: ding.secret}\n");
  load();
  hooks.answer_next(200, R"({"errcode":310000,"errmsg":"sign not match"})");
  hooks.default_answer(200, R"({"errcode":0,"errmsg":"ok"})");
  awaiting_deployment();
  daemon::notify::Dispatcher dispatcher(daemon::notify::DispatcherDeps{
      configuration->daemon, *writer, *reader, clock, log, nullptr, 1s, 5});
  dispatcher.deliver_due();
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE last_error LIKE '%sign not match%'"), 1);
  clock.advance(1s);
  dispatcher.deliver_due();
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE state = 'delivered'"), 1);
  const auto got = hooks.received();
  ASSERT_EQ(got.size(), 2u);
  const std::string ms = std::to_string(1'900'000'001'000LL);
  EXPECT_EQ(got[1].query("access_token"), "tok");
  EXPECT_EQ(got[1].query("timestamp"), ms);
  // The secret never travels; the signature does, and the token never shows in the log.
  EXPECT_EQ(got[1].target.find("SECdemo"), std::string::npos);
  EXPECT_TRUE(got[1].query("sign").has_value());
  EXPECT_EQ(json::parse(got[1].body).at("msgtype").as_string(), "markdown");
  EXPECT_EQ(got[1].body.find("/approve/"), std::string::npos) << got[1].body;
  EXPECT_EQ(log_text.str().find("access_token"), std::string::npos);
}

TEST_F(ApprovalClockTest, MailGoesToTheApproverAndStartTlsIsNeverSkipped) {
  SmtpSink smtp(home / "mail");
  const std::string cert = (home / "smtp-cert.pem").string();
  const std::string key = (home / "smtp-key.pem").string();
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                         "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                         key + " -out " + cert + " 2>/dev/null")
                            .c_str()),
            0);
  SmtpSink tls_smtp(home / "tls-mail", cert, key, "juanie:mail-password");
  home.write("secrets/smtp.password", "mail-password\n");
  home.write("juanie.yaml",
             "data_dir: data\nprojects_dir: projects.d\nsecrets_dir: secrets\n"
             "approvals: {signing_key: approval.key}\nnotifications:\n"
             "  - {type: email, smtp: \"" +
                 smtp.url() +
                 "\", from: ci@example.com, to: [ops@example.com]}\n"
                 "  - {type: email, smtp: \"" +
                 smtp.url() +
                 "\", from: tls@example.com, starttls: true}\n"
                 "  - {type: email, smtp: \"" +
                 tls_smtp.url() +
                 "\", from: tls@example.com, starttls: true,\n"
                 "     ca_file: " +
                 cert + ", username: juanie, password: smtp.password}\n");
  load();
  awaiting_deployment();
  daemon::notify::Dispatcher dispatcher(daemon::notify::DispatcherDeps{
      configuration->daemon, *writer, *reader, clock, log, nullptr, 1s, 5});
  EXPECT_EQ(dispatcher.deliver_due(), 3);
  auto mails = smtp.wait_for(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0].find("X-Envelope-To: bob@example.com"), std::string::npos) << mails[0];
  EXPECT_NE(mails[0].find("X-Sink-TLS: no"), std::string::npos);
  EXPECT_NE(mails[0].find("From: ci@example.com"), std::string::npos);
  // Where the server upgrades, the message goes over TLS (verified against the given CA).
  auto secured = tls_smtp.wait_for(1);
  ASSERT_EQ(secured.size(), 1u) << log_text.str();
  EXPECT_NE(secured[0].find("X-Sink-TLS: yes"), std::string::npos) << secured[0];
  EXPECT_NE(secured[0].find("X-Sink-User: juanie"), std::string::npos);
  EXPECT_EQ(log_text.str().find("mail-password"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE payload LIKE '%mail-password%' OR sink LIKE "
                  "'%mail-password%'"),
            0);
  EXPECT_NE(secured[0].find("X-Envelope-To: bob@example.com"), std::string::npos);
  // The server offers no STARTTLS: the sink that requires it does not send in clear.
  EXPECT_EQ(
      count("SELECT count(*) FROM outbox WHERE state = 'pending' AND sink LIKE '%tls@example.com%' "
            "AND last_error LIKE 'smtp: STARTTLS not supported%'"),
      1)
      << log_text.str();
  EXPECT_EQ(smtp.messages().size(), 1u);
}

}  // namespace
}  // namespace juanie::test

namespace juanie::test {
namespace {

// A link is bound to its deployment's environment and image: signed for another environment,
// or after the image was rebuilt under the same deployment record, it decides nothing.
TEST_F(ApprovalClockTest, ALinkForAnotherDeploymentOrAChangedImageIsRefused) {
  const auto id = awaiting_deployment();
  const auto key =
      daemon::approvals::make_signing_key("a-signing-key-for-the-clock-tests-0123456789");
  auto post = [&](const daemon::approvals::LinkClaims& c) {
    const std::string path = "/approve/" + daemon::approvals::sign_link(c, key);
    auto signed_claims = daemon::approvals::verify_link(path.substr(9), {key});
    return call(
        "POST", path,
        "csrf=" + daemon::approvals::csrf_value(*signed_claims, {key}) + "&decision=approve");
  };
  const std::string digest = "sha256:" + std::string(64, 'b');
  const std::int64_t expires = 1'900'000'000 + 600;
  auto other_env = post({id, "bob", "staging", digest, expires, "n-1", ""});
  EXPECT_EQ(other_env.status, 403);
  EXPECT_NE(other_env.body.find("not for this deployment"), std::string::npos);
  auto other_image =
      post({id, "bob", "prod", "sha256:" + std::string(64, 'c'), expires, "n-2", ""});
  EXPECT_EQ(other_image.status, 409);
  EXPECT_NE(other_image.body.find("The image changed"), std::string::npos);
  auto missing = post({id + 100, "bob", "prod", digest, expires, "n-3", ""});
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(count("SELECT count(*) FROM approvals"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit WHERE outcome = 'refused'"), 3);
  EXPECT_EQ(state_of(id), "awaiting_approval");
  // The right one still works, and completes the one-approver gate.
  auto good = post({id, "bob", "prod", digest, expires, "n-4", ""});
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(state_of(id), "running");
}

// The channel hears who must approve, with a mention; the link goes to the approver alone as a
// direct message through Slack's Web API (bot token, chat.postMessage), whose {"ok": false}
// answer is a failed attempt.
TEST_F(ApprovalClockTest, SlackTheChannelGetsAMentionAndTheApproverADirectMessage) {
  HookReceiver api;
  home.write("secrets/slack.url", hooks.url("/services/T000/B000/XXXX"));
  home.write("secrets/slack.token", "xoxb-1-clock-test\n");
  home.write("juanie.yaml",
             "data_dir: data\nprojects_dir: projects.d\nsecrets_dir: secrets\n"
             "approvals: {signing_key: approval.key}\n"
             "notifications:\n  - {type: slack, url: slack.url, token: slack.token, api_url: \"" +
                 api.url("/api/") + "\"}\n");
  home.write("projects.d/app.yaml",
             "name: app\nrepo: {url: /nowhere.git, forge: github, webhook_secret: hook.url}\n"
             "image: registry.example.com/app\nenvironments:\n  prod: {approvers: [bob]}\n"
             "approvers:\n  bob: {slack: U024BE7LH}\n"
             "branches: [{match: main, environment: prod, trigger: manual}]\n");
  load();
  hooks.default_answer(200, "ok");
  api.answer_next(200, R"({"ok":false,"error":"channel_not_found"})");
  api.default_answer(200, R"({"ok":true,"channel":"D024BE91L","ts":"1.2"})");
  awaiting_deployment();
  daemon::notify::Dispatcher dispatcher(daemon::notify::DispatcherDeps{
      configuration->daemon, *writer, *reader, clock, log, nullptr, 1s, 5});
  EXPECT_EQ(dispatcher.deliver_due(), 2);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE last_error LIKE '%channel_not_found%'"), 1);
  clock.advance(1s);
  EXPECT_EQ(dispatcher.deliver_due(), 1);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE state = 'delivered'"), 2);

  const auto channel = hooks.received();
  ASSERT_EQ(channel.size(), 1u);
  EXPECT_EQ(channel[0].path(), "/services/T000/B000/XXXX");
  const std::string text(json::parse(channel[0].body).at("text").as_string());
  EXPECT_TRUE(text.starts_with(
      "<@U024BE7LH> app: approval requested: deploy registry.example.com/app:aaaaaaa to prod\n"))
      << text;
  EXPECT_NE(text.find("waits for 1 approval(s) from bob"), std::string::npos) << text;
  EXPECT_EQ(channel[0].body.find("/approve/"), std::string::npos) << channel[0].body;

  const auto direct = api.received();
  ASSERT_EQ(direct.size(), 2u);
  EXPECT_EQ(direct[1].path(), "/api/chat.postMessage");
  EXPECT_EQ(direct[1].header("Authorization").value_or(""), "Bearer xoxb-1-clock-test");
  EXPECT_TRUE(direct[1].header("Content-Type").value_or("").starts_with("application/json"));
  const auto dm = json::parse(direct[1].body).as_object();
  EXPECT_EQ(dm.at("channel").as_string(), "U024BE7LH");
  const std::string dm_text(dm.at("text").as_string());
  EXPECT_NE(dm_text.find("|Approve or reject>"), std::string::npos) << dm_text;
  EXPECT_NE(dm_text.find("/approve/v1."), std::string::npos) << dm_text;
  EXPECT_EQ(log_text.str().find("xoxb-1-clock-test"), std::string::npos);
}

}  // namespace
}  // namespace juanie::test
