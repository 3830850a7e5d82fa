// The run page and its event stream as pure functions: what a hostile repository controls
// (commit message, step names, log bytes) reaches the HTML only escaped, and the stream's
// framing cannot be broken by a log line.
#include "daemon/web/run_page.hpp"

#include <gtest/gtest.h>

#include "daemon/web/log_excerpt.hpp"
#include "daemon/web/run_events.hpp"
#include "daemon/web/stream_slots.hpp"
#include "support/temp_dir.hpp"

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
  StreamBudget budget;
  using K = api::LogEvent::Kind;
  const std::string text =
      sse_events({{K::kStepStarted, 2, "build", "", std::nullopt, ""},
                  {K::kOutput, 2, "build", "", std::nullopt,
                   "\x1b[32mok\r\n\nevent: end\rdata: {\"state\":\"succeeded\"}\n\n"},
                  {K::kStepEnded, 2, "build", "failed", "exit code 1", ""},
                  {K::kRunEnded, -1, "", "failed", "step build failed", ""}},
                 renderers, budget);
  EXPECT_EQ(text,
            "event: step\ndata: {\"index\":2,\"name\":\"build\",\"state\":\"running\"}\n\n"
            "event: log\ndata: 2\ndata: <span class=\"ansi-fg2\">ok\ndata: \ndata: event: "
            "enddata: {&quot;state&quot;:&quot;succeeded&quot;}\ndata: \ndata: </span>\n\n"
            "event: step\ndata: {\"index\":2,\"name\":\"build\",\"state\":\"failed\"}\n\n"
            "event: end\ndata: {\"state\":\"failed\",\"reason\":\"step build failed\"}\n\n");
}

// A stream sends a log's HTML up to its step's and its own budget, then one note per step
// (with the whole log's address) and nothing more of that log, however much the step writes.
TEST(RunEvents, AStreamStopsSendingALogPastItsBudget) {
  std::map<int, AnsiHtml> renderers;
  StreamBudget budget{.run = 42, .step_html = 4000, .total_html = 6000};
  using K = api::LogEvent::Kind;
  const std::string piece(1000, '<');  // 4000 bytes of HTML
  std::string sent;
  for (int i = 0; i < 50; ++i) {
    sent += sse_events({{K::kOutput, 1, "a", "", std::nullopt, piece}}, renderers, budget);
  }
  for (int i = 0; i < 50; ++i) {
    sent += sse_events({{K::kOutput, 2, "b", "", std::nullopt, piece}}, renderers, budget);
  }
  EXPECT_LT(sent.size(), 6000u + 2000u) << "the stream's budget and two notes";
  EXPECT_GE(budget.total, 6000u);
  std::size_t notes = 0;
  for (auto at = sent.find("/api/v1/runs/42/log"); at != std::string::npos;
       at = sent.find("/api/v1/runs/42/log", at + 1)) {
    ++notes;
  }
  EXPECT_EQ(notes, 2u) << "one note per step: " << sent.substr(sent.size() - 600);
  EXPECT_TRUE(budget.stopped.contains(1) && budget.stopped.contains(2));
}

TEST(RunEvents, AFinishedRunsStreamIsItsEnd) {
  EXPECT_EQ(sse_end("succeeded", ""),
            "event: end\ndata: {\"state\":\"succeeded\",\"reason\":\"\"}\n\n");
}

// The page reads only a long log's end, by seeking, and starts it at a line start: a UTF-8
// character or an escape sequence cut at the front is left out, not shown as garbage.
TEST(LogExcerpt, ALongLogIsReadFromItsEndStartingAtALine) {
  test::TempDir dir;
  const std::string head(100000, 'x');
  const auto file = dir.write("log", head + "\n\x1b[31mred\n\xc3\xa9t\xc3\xa9\nlast\n");
  LogExcerpt whole = read_log_tail(file.string(), 1 << 20);
  EXPECT_EQ(whole.left_out, 0u);
  EXPECT_EQ(whole.size, head.size() + 21);
  EXPECT_EQ(whole.text.size(), whole.size);

  // Cut inside "\x1b[31mred": the tail starts at the next line.
  LogExcerpt cut = read_log_tail(file.string(), 19);
  EXPECT_EQ(cut.text, "\xc3\xa9t\xc3\xa9\nlast\n");
  EXPECT_EQ(cut.left_out, cut.size - cut.text.size());
  // Cut at a line start: nothing more is left out.
  EXPECT_EQ(read_log_tail(file.string(), 20).text, "\x1b[31mred\n\xc3\xa9t\xc3\xa9\nlast\n");
  // One line with no end in the tail: only the cut character's remaining bytes go.
  const auto one = dir.write("one", "\xc3\xa9\xc3\xa9\xc3\xa9");
  EXPECT_EQ(read_log_tail(one.string(), 5).text, "\xc3\xa9\xc3\xa9");
  EXPECT_EQ(read_log_tail((dir / "none").string(), 5).size, 0u);
}

TEST(LogExcerpt, ACleanStartSkipsToTheNextLine) {
  EXPECT_EQ(api::clean_start("1m red\nnext"), 7u);
  EXPECT_EQ(api::clean_start("\xa9\xc3\xa9"), 1u);
  EXPECT_EQ(api::clean_start("plain"), 0u);
  EXPECT_EQ(api::clean_start(std::string(5000, '<') + "\nnext"), 0u) << "a line end too far";
}

// A cut log says so on the page, and where the whole of it is.
TEST(RunPage, ACutLogSaysSoAndLinksTheWholeLog) {
  RunView v;
  v.id = 9;
  v.steps.push_back(
      {0, "build", "succeeded", "", "", "tail", "Only the end of this log is shown."});
  const std::string html = run_page(v);
  EXPECT_NE(html.find("Only the end of this log is shown."), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/api/v1/runs/9/log\">"), std::string::npos);
}

TEST(StreamSlots, APerViewerAndAWholeCapFreedWhenAStreamEnds) {
  StreamSlots slots(2, 3);
  auto a1 = slots.acquire("a");
  auto a2 = slots.acquire("a");
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(slots.acquire("a")) << "a viewer's cap";
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
