// The run page and its event stream as pure functions: what a hostile repository controls
// (commit message, step names, log bytes) reaches the HTML only escaped, and the stream's
// framing cannot be broken by a log line.
#include "daemon/web/run_page.hpp"

#include <gtest/gtest.h>

#include "daemon/web/run_events.hpp"
#include "daemon/web/stream_slots.hpp"

namespace juanie::daemon::web {
namespace {

TEST(RunPage, WhatARepositoryWritesIsEscaped) {
  RunView v;
  v.id = 7;
  v.project = "app";
  v.csrf = "c0ffee";
  v.signed_in_as = "alice";
  v.state = "failed";
  v.commit_message = "</script><script>alert(1)</script>";
  v.branch = "feature/<b>x</b>";
  v.can_retry = v.can_retry_failed = true;
  v.steps.push_back(
      {0, "te\"st<", "failed", "exit code 1", "3s", "<span class=\"ansi-fg1\">x</span>"});
  const std::string html = run_page(v);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;alert(1)"), std::string::npos);
  EXPECT_NE(html.find("feature/&lt;b&gt;x&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("te&quot;st&lt;"), std::string::npos);
  EXPECT_EQ(html.find("<script"), html.find("<script src=\"/assets/juanie.js\"")) << "only ours";
  EXPECT_EQ(html.find("<script src"), std::string::npos) << "a finished run's page needs none";
  EXPECT_EQ(html.find("data-events"), std::string::npos);
  EXPECT_NE(html.find("action=\"/runs/7/retry\""), std::string::npos);
  EXPECT_NE(html.find("name=\"from\" value=\"failed\""), std::string::npos);
  EXPECT_EQ(html.find("/cancel"), std::string::npos);
  v.live = true;
  v.can_cancel = true;
  v.can_retry = v.can_retry_failed = false;
  const std::string live = run_page(v);
  EXPECT_NE(live.find("data-events=\"/runs/7/events\""), std::string::npos);
  EXPECT_NE(live.find("<script src=\"/assets/juanie.js\" defer></script>"), std::string::npos);
  EXPECT_NE(live.find("action=\"/runs/7/cancel\""), std::string::npos);
}

TEST(RunPage, DurationsReadLikeAClock) {
  EXPECT_EQ(duration_between("2026-01-01T00:00:00Z", "2026-01-01T00:00:42Z"), "42s");
  EXPECT_EQ(duration_between("2026-01-01T00:00:00Z", "2026-01-01T00:03:07Z"), "3m 07s");
  EXPECT_EQ(duration_between("2026-01-01T00:00:00Z", "2026-01-01T01:02:00Z"), "1h 02m");
  EXPECT_EQ(duration_between("2026-01-01T00:00:09Z", "2026-01-01T00:00:00Z"), "");
  EXPECT_EQ(duration_between("soon", "2026-01-01T00:00:00Z"), "");
}

TEST(RunEvents, ALogLineCannotForgeAnEvent) {
  std::map<int, AnsiHtml> renderers;
  using K = api::LogEvent::Kind;
  const std::string text =
      sse_events({{K::kStepStarted, 2, "build", "", std::nullopt, ""},
                  {K::kOutput, 2, "build", "", std::nullopt,
                   "\x1b[32mok\r\n\nevent: end\rdata: {\"state\":\"succeeded\"}\n\n"},
                  {K::kStepEnded, 2, "build", "failed", "exit code 1", ""},
                  {K::kRunEnded, -1, "", "failed", "step build failed", ""}},
                 renderers);
  EXPECT_EQ(text,
            "event: step\ndata: {\"index\":2,\"name\":\"build\",\"state\":\"running\"}\n\n"
            "event: log\ndata: 2\ndata: <span class=\"ansi-fg2\">ok\ndata: \ndata: event: "
            "enddata: {&quot;state&quot;:&quot;succeeded&quot;}\ndata: \ndata: </span>\n\n"
            "event: step\ndata: {\"index\":2,\"name\":\"build\",\"state\":\"failed\"}\n\n"
            "event: end\ndata: {\"state\":\"failed\",\"reason\":\"step build failed\"}\n\n");
}

TEST(StreamSlots, APerSessionAndAWholeCapFreedWhenAStreamEnds) {
  StreamSlots slots(2, 3);
  auto a1 = slots.acquire("a");
  auto a2 = slots.acquire("a");
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(slots.acquire("a")) << "a session's cap";
  auto b1 = slots.acquire("b");
  ASSERT_TRUE(b1);
  EXPECT_FALSE(slots.acquire("c")) << "the daemon's cap";
  EXPECT_EQ(slots.open(), 3u);
  a1.reset();
  EXPECT_EQ(slots.open(), 2u);
  EXPECT_TRUE(slots.acquire("c")) << "freed, and the temporary gives it back at once";
  EXPECT_TRUE(slots.acquire("a"));
  auto moved = std::move(*b1);
  b1.reset();
  EXPECT_EQ(slots.open(), 2u) << "a moved slot is held once";
}

}  // namespace
}  // namespace juanie::daemon::web
