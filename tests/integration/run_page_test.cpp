// The runs' part of the status page over real HTTP and in a real browser: /runs/{id} shows a
// run and its coloured logs to a signed-in person only, its cancel and retry forms need the
// session's CSRF value, and its event stream carries a live log, is bounded and ends with the
// run.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "daemon/http/client.hpp"
#include "daemon/support/crypto.hpp"
#include "integration/browser_script.hpp"
#include "integration/daemon_fixture.hpp"
#include "integration/raw_client.hpp"
#include "support/shell.hpp"

namespace juanie::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::pair<std::string, std::string> kForm{"Content-Type",
                                                "application/x-www-form-urlencoded"};

std::string csrf_of(const std::string& html) {
  const std::string marker = "name=\"csrf\" value=\"";
  const auto at = html.find(marker);
  if (at == std::string::npos) return "";
  const auto start = at + marker.size();
  return html.substr(start, html.find('"', start) - start);
}

struct SignedIn {
  std::string cookie;  // juanie_session=…
  std::string csrf;
};

SignedIn sign_in(Daemon& d, const std::string& token = kApiToken) {
  auto r = d.request("POST", "/sign-in", "token=" + token, {kForm});
  EXPECT_EQ(r.status, 303) << r.body;
  const std::string set_cookie = r.header("Set-Cookie");
  SignedIn s{set_cookie.substr(0, set_cookie.find(';')), ""};
  s.csrf = csrf_of(d.request("GET", "/", "", {{"Cookie", s.cookie}}).body);
  EXPECT_EQ(s.csrf.size(), 64u);
  return s;
}

std::string state_of(Daemon& d, std::int64_t run) {
  auto r = d.api("/api/v1/runs/" + std::to_string(run));
  return r.status == 200 ? std::string(json::parse(r.body).at("state").as_string()) : "";
}

std::string events_request(std::int64_t run, const std::string& cookie) {
  return "GET /runs/" + std::to_string(run) + "/events HTTP/1.1\r\nHost: x\r\nCookie: " + cookie +
         "\r\n\r\n";
}

std::int64_t queue_run(Daemon& d, const std::string& delivery, char sha) {
  const std::string body = push_body("refs/heads/develop", std::string(40, sha));
  auto r = d.request("POST", "/hooks/github/shop-api", body, github_headers(body, delivery));
  EXPECT_EQ(r.status, 202) << r.body;
  return r.status == 202 ? json::parse(r.body).at("run").as_int64() : 0;
}

// Without pipelines running, runs stay queued: what the forms and the stream do is all
// there is to see.
TEST(RunPage, AStrangerAndAnotherSitesFormChangeNothing) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const auto run = queue_run(d, "run-page-1", 'c');
  const std::string page = "/runs/" + std::to_string(run);

  // No session: the sign-in form, nothing of the run; actions refused; no stream, no table.
  auto anonymous = d.request("GET", page);
  EXPECT_EQ(anonymous.status, 200);
  EXPECT_NE(anonymous.body.find("action=\"/sign-in\""), std::string::npos);
  EXPECT_EQ(anonymous.body.find("shop-api"), std::string::npos) << anonymous.body;
  EXPECT_EQ(d.request("POST", page + "/cancel", "csrf=x", {kForm}).status, 403);
  EXPECT_EQ(d.request("POST", page + "/retry", "", {kForm}).status, 403);
  EXPECT_EQ(d.request("GET", page + "/events").status, 401);
  EXPECT_EQ(d.request("GET", "/runs/table").status, 401);

  // Signing in from the run's page lands on it; a `next` naming another site lands on /.
  EXPECT_NE(anonymous.body.find("name=\"next\" value=\"" + page + "\""), std::string::npos);
  auto deep = d.request(
      "POST", "/sign-in",
      std::string("token=") + kApiToken + "&next=%2Fruns%2F" + std::to_string(run), {kForm});
  EXPECT_EQ(deep.status, 303);
  EXPECT_EQ(deep.header("Location"), page);
  for (const std::string next :
       {"%2F%2Fevil.example%2F", "https%3A%2F%2Fevil.example", "%2F%5Cevil"}) {
    auto away =
        d.request("POST", "/sign-in", std::string("token=") + kApiToken + "&next=" + next, {kForm});
    EXPECT_EQ(away.header("Location"), "/") << next;
  }

  const SignedIn me = sign_in(d);
  // Another site's form: the browser sends no SameSite=Strict cookie with it, and even with
  // the cookie a form without the session's CSRF value is refused.
  EXPECT_EQ(d.request("POST", page + "/cancel", "", {{"Cookie", me.cookie}, kForm}).status, 403);
  EXPECT_EQ(d.request("POST", page + "/cancel", "csrf=" + std::string(64, '0'),
                      {{"Cookie", me.cookie}, kForm})
                .status,
            403);
  EXPECT_EQ(state_of(d, run), "queued") << "nothing changed";
  EXPECT_EQ(d.request("GET", page + "/cancel", "", {{"Cookie", me.cookie}}).status, 405);

  auto unknown = d.request("GET", "/runs/999999", "", {{"Cookie", me.cookie}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(unknown.body.find("Run 999999 does not exist"), std::string::npos) << unknown.body;
  EXPECT_EQ(d.request("GET", "/runs/abc", "", {{"Cookie", me.cookie}}).status, 404);
  EXPECT_EQ(
      d.request("POST", "/runs/999999/cancel", "csrf=" + me.csrf, {{"Cookie", me.cookie}, kForm})
          .status,
      404);

  // Signed in: the run's fields, its forms, the list linking to it.
  auto shown = d.request("GET", page, "", {{"Cookie", me.cookie}});
  ASSERT_EQ(shown.status, 200);
  EXPECT_NE(shown.header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(shown.header("Content-Security-Policy").find("unsafe-inline'; script"),
            std::string::npos);
  for (const std::string& text :
       {std::string("<h1>Run ") + std::to_string(run) + " · shop-api</h1>", std::string(40, 'c'),
        std::string("develop"), std::string("change — Alice"), std::string("alice"),
        std::string("Cancel run"),
        std::string("data-events=\"/runs/") + std::to_string(run) + "/events\""}) {
    EXPECT_NE(shown.body.find(text), std::string::npos) << text << "\n" << shown.body;
  }
  EXPECT_NE(d.request("GET", "/", "", {{"Cookie", me.cookie}})
                .body.find("<a href=\"" + page + "\">" + std::to_string(run) + "</a>"),
            std::string::npos);
  EXPECT_NE(d.request("GET", "/runs/table", "", {{"Cookie", me.cookie}}).body.find(page),
            std::string::npos);

  // The session's own form acts, and the log says who, via the page.
  auto cancelled =
      d.request("POST", page + "/cancel", "csrf=" + me.csrf, {{"Cookie", me.cookie}, kForm});
  EXPECT_EQ(cancelled.status, 303) << cancelled.body;
  EXPECT_EQ(cancelled.header("Location"), page);
  EXPECT_EQ(state_of(d, run), "cancelled");
  EXPECT_TRUE(d.wait_for_log("cancelled by tests via page")) << d.log();
  auto retried = d.request("POST", page + "/retry", "csrf=" + me.csrf + "&from=failed",
                           {{"Cookie", me.cookie}, kForm});
  EXPECT_EQ(retried.status, 409) << "no step failed";
  retried = d.request("POST", page + "/retry", "csrf=" + me.csrf, {{"Cookie", me.cookie}, kForm});
  EXPECT_EQ(retried.status, 303) << retried.body;
  const std::string new_page = retried.header("Location");
  ASSERT_TRUE(new_page.starts_with("/runs/")) << new_page;
  const auto new_run = std::stoll(new_page.substr(6));
  EXPECT_GT(new_run, run);
  EXPECT_EQ(state_of(d, new_run), "queued");
  EXPECT_TRUE(d.wait_for_log("retries run " + std::to_string(run) + " for tests via page"));

  // The stream of a finished run tells its end and closes.
  RawConnection c(d.port());
  ASSERT_TRUE(c.send(events_request(run, me.cookie)));
  const std::string ended = c.read_until("event: end", 10s);
  EXPECT_NE(ended.find("Content-Type: text/event-stream"), std::string::npos) << ended;
  EXPECT_NE(ended.find("data: {\"state\":\"cancelled\""), std::string::npos) << ended;
  EXPECT_TRUE(c.closed_by_peer(5s));
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// The project page links each run to /runs/{id} (so does a run started from it, by its
// redirect): the link is served, not the JSON 404 it once was.
TEST(RunPage, TheProjectPagesRunLinksAreServed) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  queue_run(d, "run-link-1", 'c');
  const SignedIn me = sign_in(d);
  auto project = d.request("GET", "/projects/shop-api", "", {{"Cookie", me.cookie}});
  const auto at = project.body.find("<a href=\"/runs/");
  ASSERT_NE(at, std::string::npos) << project.body;
  const std::string link = project.body.substr(at + 9, project.body.find('"', at + 9) - at - 9);
  auto run = d.request("GET", link, "", {{"Cookie", me.cookie}});
  EXPECT_EQ(run.status, 200) << link << ": " << run.body;
  EXPECT_NE(run.header("Content-Type").find("text/html"), std::string::npos);
}

// A person (an api token) holds at most 8 streams, however many times they sign in; another
// token's viewer is still served; signing out ends that session's streams (and frees them).
TEST(RunPage, LiveStreamsAreBoundedPerTokenAndEndWithTheSession) {
  Daemon d;
  d.add_api_token("second", "second-person-token", "Bob");
  ASSERT_TRUE(d.start()) << d.log();
  const auto run = queue_run(d, "run-page-2", 'd');
  const SignedIn me = sign_in(d);
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 8; ++i) {
    open.push_back(std::make_unique<RawConnection>(d.port()));
    ASSERT_TRUE(open.back()->send(events_request(run, me.cookie)));
    const std::string head = open.back()->read_until("retry: 3000", 10s);
    EXPECT_EQ(status_of(head), 200) << head;
  }
  auto refused =
      d.request("GET", "/runs/" + std::to_string(run) + "/events", "", {{"Cookie", me.cookie}});
  EXPECT_EQ(refused.status, 429);
  // Signing in again is a new session of the same token: no more streams for it.
  const SignedIn me_again = sign_in(d);
  auto again = d.request("GET", "/runs/" + std::to_string(run) + "/events", "",
                         {{"Cookie", me_again.cookie}});
  EXPECT_EQ(again.status, 429) << "a new sign-in of the same token took more streams";
  const SignedIn other = sign_in(d, "second-person-token");
  RawConnection theirs(d.port());
  ASSERT_TRUE(theirs.send(events_request(run, other.cookie)));
  EXPECT_EQ(status_of(theirs.read_until("retry: 3000", 10s)), 200) << "a cap per token";

  EXPECT_EQ(
      d.request("POST", "/sign-out", "csrf=" + me.csrf, {{"Cookie", me.cookie}, kForm}).status,
      303);
  for (auto& c : open) EXPECT_TRUE(c->closed_by_peer(10s));
  EXPECT_FALSE(theirs.closed_by_peer(1s)) << "another session's stream goes on";
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// A project whose pipeline runs for real (bubblewrap), in a bare repository.
class LiveRunPage : public ::testing::Test {
 protected:
  LiveRunPage() : d("", true) {}

  void SetUp() override {
    d.home().write("secrets/app.webhook", kGithubSecret);
    d.home().write("projects.d/app.yaml",
                   "name: app\nrepo: {url: " + (d.home() / "app.git").string() +
                       ", forge: github, webhook_secret: app.webhook}\n"
                       "branches: [{match: develop, environment: dev}]\n");
  }

  std::string commit(const std::string& pipeline) {
    const std::string work = (d.home() / "work").string();
    const std::string bare = (d.home() / "app.git").string();
    if (!fs::exists(bare)) {
      sh("git init -q --bare -b develop " + bare + " && git init -q -b develop " + work +
         " && git -C " + work + " remote add origin " + bare);
    }
    d.home().write("work/.juanie.yml", pipeline);
    sh("git -C " + work + " add -A && git -C " + work +
       " -c user.email=dev@example.com -c user.name=Dev commit -qm change && git -C " + work +
       " push -q origin develop");
    std::string sha = sh("git -C " + work + " rev-parse HEAD");
    sha.pop_back();
    return sha;
  }

  Daemon d;
};

// Coloured lines with pauses between them: the stream carries each as styled HTML while the
// step still runs, the hostile HTML in it as text, and ends when the run does.
constexpr const char* kColourfulPipeline = R"(steps:
  - name: colours
    commands:
      - "printf '\\033[31mred one\\033[0m\\n'"
      - "sleep 2"
      - "printf '\\033[1;32mgreen two\\033[0m </script><script>alert(1)</script>\\033]0;title\\007\\n'"
      - "sleep 1"
      - "echo done"
)";

TEST_F(LiveRunPage, TheEventStreamCarriesColouredLinesWhileTheStepRuns) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string sha = commit(kColourfulPipeline);
  const std::string body = push_body("refs/heads/develop", sha);
  auto queued = d.request("POST", "/hooks/github/app", body, github_headers(body, "live-1"));
  ASSERT_EQ(queued.status, 202) << queued.body;
  const auto run = json::parse(queued.body).at("run").as_int64();
  const SignedIn me = sign_in(d);

  RawConnection c(d.port());
  ASSERT_TRUE(c.send(events_request(run, me.cookie)));
  const std::string early = c.read_until("red one", 60s);
  ASSERT_NE(early.find("data: <span class=\"ansi-fg1\">red one</span>"), std::string::npos)
      << early << d.log();
  EXPECT_EQ(state_of(d, run), "running") << "the line came while the step runs";
  const std::string all = c.read_until("event: end", 60s);
  EXPECT_NE(all.find("<span class=\"ansi-b ansi-fg2\">green two</span> &lt;/script&gt;&lt;"
                     "script&gt;alert(1)&lt;/script&gt;"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("alert(1)&lt;/script&gt;\ndata: + sleep 1"), std::string::npos)
      << "the OSC title after the line is dropped";
  EXPECT_EQ(all.find('\x1b'), std::string::npos);
  EXPECT_NE(all.find(R"("name":"colours","state":"succeeded"})"), std::string::npos) << all;
  EXPECT_NE(all.find("event: end\ndata: {\"state\":\"succeeded\""), std::string::npos) << all;
  EXPECT_TRUE(c.closed_by_peer(5s));

  // The finished page renders the whole log itself, for a browser without script.
  auto page = d.request("GET", "/runs/" + std::to_string(run), "", {{"Cookie", me.cookie}});
  EXPECT_NE(page.body.find("<span class=\"ansi-fg1\">red one</span>"), std::string::npos)
      << page.body;
  EXPECT_EQ(page.body.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.body.find("data-events"), std::string::npos) << "a finished run is not followed";
  EXPECT_NE(page.body.find("Retry run"), std::string::npos);
  EXPECT_EQ(d.stop(), 0) << d.log();
}

std::int64_t wait_until_final(Daemon& d, std::int64_t run) {
  for (int i = 0; i < 600; ++i) {
    const std::string state = state_of(d, run);
    if (state == "succeeded" || state == "failed" || state == "cancelled") break;
    std::this_thread::sleep_for(200ms);
  }
  return run;
}

// A run's page holds at most a budget of its logs, however much its steps wrote: each step's
// log is read from its last 256 KiB (by seeking), the page's 2 MiB of log HTML go to the last
// steps first, and what is cut is said with the whole log's address. The live stream of a
// finished run is its `end` alone, not a replay of every log.
TEST_F(LiveRunPage, AHugeRunPageIsBoundedAndSaysWhatItCut) {
  ASSERT_TRUE(d.start()) << d.log();
  std::string pipeline = "steps:\n";
  for (int i = 1; i <= 8; ++i) {
    pipeline += "  - {name: big" + std::to_string(i) +
                ", commands: [\"head -c 2000000 /dev/zero | tr '\\\\0' '<'\", \"echo end-of-" +
                std::to_string(i) + "\"]}\n";
  }
  const std::string sha = commit(pipeline);
  const std::string body = push_body("refs/heads/develop", sha);
  auto queued = d.request("POST", "/hooks/github/app", body, github_headers(body, "huge-1"));
  ASSERT_EQ(queued.status, 202) << queued.body;
  const auto run = wait_until_final(d, json::parse(queued.body).at("run").as_int64());
  ASSERT_EQ(state_of(d, run), "succeeded") << d.log();
  const SignedIn me = sign_in(d);
  const std::string page_path = "/runs/" + std::to_string(run);
  auto get_page = [&] {
    daemon::http::ClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(d.port()) + page_path;
    req.headers = {{"Cookie", me.cookie}};
    req.timeout = 120s;
    req.max_body = std::size_t{1} << 30;
    auto r = daemon::http::send(req);
    return r ? r->body : std::string();
  };
  const std::string page = get_page();
  // 16 MB of logs, 64 MB as HTML: the page holds 2 MiB of log HTML and its own markup.
  EXPECT_LT(page.size(), std::size_t{3} << 20) << "one run's page is " << page.size() << " bytes";
  EXPECT_GT(page.size(), std::size_t{2} << 20) << "the budget is used";
  EXPECT_NE(page.find("end-of-8"), std::string::npos) << "the last step's end is shown";
  EXPECT_NE(page.find("end-of-7"), std::string::npos);
  EXPECT_EQ(page.find("end-of-1"), std::string::npos) << "past the budget";
  EXPECT_NE(page.find("Only the end of this log is shown"), std::string::npos);
  EXPECT_NE(page.find("is not shown: the page shows at most 2048 KiB of logs"), std::string::npos);
  EXPECT_NE(page.find("<a href=\"/api/v1/runs/" + std::to_string(run) + "/log\">"),
            std::string::npos);

  // Four viewers at once each get the same bounded page, and the daemon still answers.
  std::vector<std::future<std::string>> viewers;
  for (int i = 0; i < 4; ++i) viewers.push_back(std::async(std::launch::async, get_page));
  EXPECT_EQ(d.request("GET", "/healthz").status, 200);
  for (auto& v : viewers) EXPECT_EQ(v.get().size(), page.size());

  // The whole text is still the API's.
  daemon::http::ClientRequest log;
  log.url = "http://127.0.0.1:" + std::to_string(d.port()) + "/api/v1/runs/" + std::to_string(run) +
            "/log";
  log.headers = {{"Authorization", std::string("Bearer ") + kApiToken}};
  log.timeout = 120s;
  log.max_body = std::size_t{1} << 30;
  auto whole = daemon::http::send(log);
  ASSERT_TRUE(whole);
  EXPECT_GT(whole->body.size(), std::size_t{16'000'000});

  // A finished run's stream is its end alone.
  RawConnection c(d.port());
  ASSERT_TRUE(c.send(events_request(run, me.cookie)));
  const std::string streamed = c.read_until("event: end", 10s);
  EXPECT_TRUE(c.closed_by_peer(10s));
  EXPECT_LT(streamed.size(), std::size_t{1024}) << streamed.substr(0, 2000);
  EXPECT_EQ(streamed.find("event: log"), std::string::npos);
  EXPECT_NE(streamed.find("event: end\ndata: {\"state\":\"succeeded\""), std::string::npos);
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// A stream opened on a step that already wrote a long log starts at the log's end (at a line
// start), and carries at most its budget of that log.
TEST_F(LiveRunPage, ALateLiveViewOfALongLogStartsAtItsEnd) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string sha = commit(
      "steps:\n"
      "  - {name: long, commands: [\"seq 1 400000\", \"echo written-all\", \"sleep 600\"]}\n");
  const std::string body = push_body("refs/heads/develop", sha);
  auto queued = d.request("POST", "/hooks/github/app", body, github_headers(body, "late-1"));
  ASSERT_EQ(queued.status, 202) << queued.body;
  const auto run = json::parse(queued.body).at("run").as_int64();
  const SignedIn me = sign_in(d);
  const std::string page_path = "/runs/" + std::to_string(run);
  bool written = false;
  for (int i = 0; i < 600 && !written; ++i) {
    written = d.request("GET", page_path, "", {{"Cookie", me.cookie}}).body.find("written-all") !=
              std::string::npos;
    if (!written) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(written) << d.log();

  RawConnection c(d.port());
  ASSERT_TRUE(c.send(events_request(run, me.cookie)));
  const std::string early = c.read_until("written-all", 30s);
  ASSERT_NE(early.find("written-all"), std::string::npos) << early.substr(0, 2000);
  EXPECT_EQ(early.find("\ndata: 100000\n"), std::string::npos) << "the log's start is not sent";
  EXPECT_NE(early.find("\ndata: 399999\n"), std::string::npos);
  // The last 256 KiB of the 2.7 MB log, each short line framed as "data: …\n" (about twice).
  EXPECT_LT(early.size(), std::size_t{600} * 1024) << "about the last 256 KiB of the log";
  // The first log line sent is a whole one: the line cut by the tail's start is left out.
  const auto event = early.find("event: log\ndata: ");
  ASSERT_NE(event, std::string::npos) << early.substr(0, 2000);
  const auto first = early.find("\ndata: ", event + 17) + 7;  // past the step's index
  const std::string line = early.substr(first, early.find('\n', first) - first);
  const std::string next = std::to_string(std::stol(line) + 1);
  EXPECT_NE(early.find("\ndata: " + line + "\ndata: " + next + "\n"), std::string::npos) << line;

  EXPECT_EQ(
      d.request("POST", page_path + "/cancel", "csrf=" + me.csrf, {{"Cookie", me.cookie}, kForm})
          .status,
      303);
  EXPECT_NE(c.read_until("event: end", 60s).find("event: end"), std::string::npos);
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// A failed run's page offers a retry from the failed step; the form resumes there, as the
// API's ?from=failed does.
TEST_F(LiveRunPage, RetryFromTheFailedStepResumesThere) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string sha = commit(R"(steps:
  - {name: first, commands: ["echo fine"]}
  - {name: second, commands: ["printf '\\033[31mbroken\\033[0m\\n'", "exit 3"]}
)");
  const std::string body = push_body("refs/heads/develop", sha);
  auto queued = d.request("POST", "/hooks/github/app", body, github_headers(body, "failing-1"));
  ASSERT_EQ(queued.status, 202) << queued.body;
  const auto run = json::parse(queued.body).at("run").as_int64();
  const std::string page = "/runs/" + std::to_string(run);
  const SignedIn me = sign_in(d);
  RawConnection c(d.port());
  ASSERT_TRUE(c.send(events_request(run, me.cookie)));
  EXPECT_NE(c.read_until("event: end", 60s).find(R"(data: {"state":"failed")"), std::string::npos);

  auto shown = d.request("GET", page, "", {{"Cookie", me.cookie}});
  EXPECT_NE(shown.body.find("Retry from the failed step"), std::string::npos) << shown.body;
  EXPECT_NE(shown.body.find("<span class=\"ansi-fg1\">broken</span>"), std::string::npos);
  EXPECT_EQ(shown.body.find("Cancel run"), std::string::npos);
  auto retried = d.request("POST", page + "/retry", "csrf=" + me.csrf + "&from=failed",
                           {{"Cookie", me.cookie}, kForm});
  ASSERT_EQ(retried.status, 303) << retried.body;
  const std::string location = retried.header("Location");
  const auto resumed = json::parse(d.api("/api/v1" + location).body).as_object();
  EXPECT_EQ(resumed.at("retry_of").as_int64(), run);
  EXPECT_EQ(resumed.at("resume_from").as_int64(), 2) << json::serialize(resumed);  // step 2: second
  EXPECT_TRUE(d.wait_for_log("from step 2 for tests via page")) << d.log();
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// The whole page in Debian's Chromium (tests/browser/run_page.mjs), its CSP in force: the run
// appears at / without a reload, its log grows in colour while the step runs, a hostile line
// stays text, cancel and retry work from the page, axe finds nothing serious, and neither page
// scrolls sideways on a phone. Screenshots go to the build's test-artifacts.
TEST_F(LiveRunPage, APersonFollowsCancelsAndRetriesARunInARealBrowser) {
  ASSERT_TRUE(d.start()) << d.log();
  const std::string sha = commit(R"(steps:
  - name: slow-colours
    commands:
      - "printf '\\033[1;32mgreen start\\033[0m </pre><script>globalThis.pwned=true</script>\\n'"
      - "i=0; while [ $i -lt 60 ]; do i=$((i+1)); printf '\\033[31mred %s\\033[0m\\n' $i; sleep 1; done"
)");
  const std::string body = push_body("refs/heads/develop", sha);
  const std::string signature =
      "sha256=" + daemon::hex_encode(daemon::hmac_sha256(kGithubSecret, body));
  const auto seen = run_browser_script("run_page.mjs",
                                       {"http://127.0.0.1:" + std::to_string(d.port()), kApiToken,
                                        "/hooks/github/app", body, signature},
                                       "run-page");
  ASSERT_FALSE(seen.empty());
  ASSERT_FALSE(seen.contains("error")) << json::serialize(seen);
  EXPECT_EQ(seen.at("problems").as_array().size(), 0u) << json::serialize(seen.at("problems"));
  EXPECT_EQ(seen.at("csp_violations").as_array().size(), 0u)
      << json::serialize(seen.at("csp_violations"));
  EXPECT_EQ(seen.at("hook_status").as_int64(), 202);
  EXPECT_EQ(seen.at("before").as_string(), "No runs yet.");
  EXPECT_TRUE(seen.at("appeared_without_reload").as_bool());
  EXPECT_NE(std::string(seen.at("first_row").as_string()).find("app"), std::string::npos);
  EXPECT_TRUE(std::string(seen.at("red_text").as_string()).starts_with("red "));
  EXPECT_EQ(seen.at("red_colour").as_string(), "rgb(255, 123, 114)");
  EXPECT_GT(seen.at("red_lines_after").as_int64(), seen.at("red_lines_before").as_int64())
      << "the log grew while the page was open";
  EXPECT_NE(std::string(seen.at("log_after").as_string()).find("green start </pre><script>"),
            std::string::npos)
      << json::serialize(seen);
  EXPECT_EQ(seen.at("green_bold").as_string(), "700");
  EXPECT_TRUE(seen.at("grew_without_reload").as_bool());
  EXPECT_EQ(seen.at("state_while_running").as_string(), "running");
  EXPECT_FALSE(seen.at("script_injected").as_bool());
  EXPECT_EQ(seen.at("state_after_cancel").as_string(), "cancelled");
  EXPECT_NE(seen.at("retry_url").as_string(), seen.at("run_url").as_string());
  EXPECT_NE(std::string(seen.at("retry_trigger").as_string()).find("retry of run"),
            std::string::npos);
  EXPECT_NE(d.log().find("cancel requested by tests via page"), std::string::npos) << d.log();
  EXPECT_EQ(d.stop(), 0) << d.log();
}

}  // namespace
}  // namespace juanie::test
