// A step's log as the page shows it: colours as classes, HTML escaped, every other escape
// sequence gone, pieces of a followed log joined as if they were one.
#include "daemon/web/ansi_html.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::web {
namespace {

TEST(AnsiHtml, ColoursBecomeSpansWithClasses) {
  EXPECT_EQ(ansi_to_html("\x1b[31mred\x1b[0m plain"), "<span class=\"ansi-fg1\">red</span> plain");
  EXPECT_EQ(ansi_to_html("\x1b[1;92mok\x1b[m"), "<span class=\"ansi-b ansi-fg10\">ok</span>");
  EXPECT_EQ(ansi_to_html("\x1b[44;4mx\x1b[24my\x1b[49mz"),
            "<span class=\"ansi-u ansi-bg4\">x</span><span class=\"ansi-bg4\">y</span>z");
  EXPECT_EQ(ansi_to_html("\x1b[38;5;3ma\x1b[38;5;200mb\x1b[38;2;1;2;3mc"),
            "<span class=\"ansi-fg3\">a</span>bc");
  EXPECT_EQ(ansi_to_html("\x1b[31m\x1b[39m\x1b[1m"), "") << "styles without text leave no span";
}

TEST(AnsiHtml, HtmlInTheLogIsText) {
  EXPECT_EQ(ansi_to_html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  EXPECT_EQ(ansi_to_html("\x1b[31m</span><img src=x onerror=alert(1)>"),
            "<span class=\"ansi-fg1\">&lt;/span&gt;&lt;img src=x onerror=alert(1)&gt;</span>");
}

TEST(AnsiHtml, OtherEscapeSequencesAndControlsAreDropped) {
  EXPECT_EQ(ansi_to_html("a\x1b[2K\x1b[1Gb\x1b[?25lc"), "abc");
  EXPECT_EQ(ansi_to_html("\x1b]0;title\x07t\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "tlink");
  EXPECT_EQ(ansi_to_html("\x1bP+q\x1b\\d\x1b(Be\x1b"
                         "7f"),
            "def");
  EXPECT_EQ(ansi_to_html("progress 10%\rprogress 100%\r\nbell\x07\x08!\t1"),
            "progress 10%progress 100%\nbell!\t1");
  EXPECT_EQ(ansi_to_html("c1\xc2\x9b"
                         "31mx"),
            "c131mx")
      << "an 8-bit CSI is dropped, not obeyed";
  EXPECT_EQ(ansi_to_html("\x1b[?1;31m"), "") << "a private SGR changes nothing";
  EXPECT_EQ(ansi_to_html("broken\x1b[31\x01x"), "brokenx");
  EXPECT_EQ(ansi_to_html("end\x1b["), "end") << "an unfinished sequence is never shown";
  EXPECT_EQ(ansi_to_html("é ü 日本"), "é ü 日本");
}

TEST(AnsiHtml, PiecesJoinAcrossCutSequences) {
  const std::string whole = "\x1b[32mgreen \xe6\x97\xa5 line\x1b[0m\n\x1b[1mbold\x1b[0m";
  const std::string expected = ansi_to_html(whole);
  for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
    AnsiHtml r;
    std::string html = r.feed(whole.substr(0, cut));
    html += r.feed(whole.substr(cut));
    // The same text and classes; a cut inside a styled run closes and reopens its span.
    std::string joined = html, reference = expected;
    for (auto* s : {&joined, &reference}) {
      std::string plain;
      bool tag = false;
      for (char c : *s) {
        if (c == '<') tag = true;
        if (!tag) plain += c;
        if (c == '>') tag = false;
      }
      *s = plain;
    }
    EXPECT_EQ(joined, reference) << "cut at " << cut << ": " << html;
    EXPECT_EQ(html.find('\x1b'), std::string::npos) << "cut at " << cut;
  }
  AnsiHtml r;
  EXPECT_EQ(r.feed("\x1b[3"), "");
  EXPECT_EQ(r.feed("3mY"), "<span class=\"ansi-fg3\">Y</span>");
  EXPECT_EQ(r.feed("still"), "<span class=\"ansi-fg3\">still</span>") << "the style carries on";
}

TEST(AnsiHtml, OutputIsBounded) {
  const std::string big(100000, '<');
  const std::string html = ansi_to_html(big, 1000);
  EXPECT_LT(html.size(), 1200u);
  EXPECT_NE(html.find("is not shown"), std::string::npos);
  const std::string endless = "ok\x1b]0;" + std::string(10000, 'x');
  EXPECT_EQ(ansi_to_html(endless), "ok") << "an OSC that never ends is dropped whole";
}

}  // namespace
}  // namespace juanie::daemon::web
