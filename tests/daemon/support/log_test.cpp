#include "daemon/support/log.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

namespace juanie::daemon {
namespace {

// Keeps each piece handed to the stream buffer apart: on std::cerr, unbuffered, each piece is
// a write(2) of its own.
class Pieces : public std::streambuf {
 public:
  std::vector<std::string> pieces;

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    pieces.emplace_back(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) pieces.emplace_back(1, traits_type::to_char_type(c));
    return c;
  }
};

// The daemon logs a line per accepted webhook: one write each, not four.
TEST(Log, ALineReachesTheStreamInOnePiece) {
  Pieces buffer;
  std::ostream out(&buffer);
  Log log(out);
  log.warn("webhook github/shop refused (401): bad signature");
  log.info("started");
  ASSERT_EQ(buffer.pieces.size(), 2u);
  EXPECT_EQ(buffer.pieces[0],
            "juanie: level=warning msg=\"webhook github/shop refused (401): bad signature\"\n");
  EXPECT_EQ(buffer.pieces[1], "juanie: level=info msg=started\n");
}

// Operators filter by run, deployment, project, environment and delivery: always these names,
// always in this order, and only when the event has them.
TEST(Log, KeysComeInAFixedOrderBeforeTheMessage) {
  std::ostringstream out;
  Log log(out);
  log.error({.run = 12,
             .deployment = 3,
             .project = "shop",
             .environment = "dev",
             .delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
            "cannot record success: disk I/O error");
  log.info({.project = "shop"}, "reloaded");
  EXPECT_EQ(out.str(),
            "juanie: level=error run=12 deployment=3 project=shop environment=dev "
            "delivery=72d3162e-cc78-11e3-81ab-4c9367dc0958 msg=\"cannot record success: disk "
            "I/O error\"\n"
            "juanie: level=info project=shop msg=reloaded\n");
}

// A ref, a path or a header is text a stranger chose: it must not split the line, start a
// forged one, or carry terminal escapes into an operator's terminal.
TEST(Log, TextFromOutsideCannotBreakOrForgeALine) {
  std::ostringstream out;
  Log log(out);
  log.warn({.delivery = "x\" msg=\"forged"},
           "refs/heads/a\njuanie: level=info msg=approved\r\x1b[2J\t\"q\" \\ \x7f");
  const std::string line = out.str();
  EXPECT_EQ(line,
            "juanie: level=warning delivery=\"x\\\" msg=\\\"forged\" "
            "msg=\"refs/heads/a\\njuanie: level=info msg=approved\\r\\x1b[2J\\t\\\"q\\\" "
            "\\\\ \\x7f\"\n");
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(Log, AnEmptyMessageIsStillAValue) {
  EXPECT_EQ(format_log_line(LogLevel::kInfo, {}, ""), "juanie: level=info msg=\"\"\n");
}

// Config refuses passwords in repository URLs; should an error text from libgit2 or libcurl
// ever carry one anyway, the log masks it.
TEST(Log, APasswordInAUrlIsMasked) {
  EXPECT_EQ(mask_url_credentials("push to https://bot:s3cr3t@git.example.com/ops.git failed; "
                                 "see ssh://git@host/x, ssh://u:pw@h/y and http://a:b@h:8080?q"),
            "push to https://***@git.example.com/ops.git failed; see ssh://git@host/x, "
            "ssh://u:***@h/y and http://***@h:8080?q");
  // Over HTTPS a token works as the user name: the whole userinfo goes.
  EXPECT_EQ(mask_url_credentials("(https://ghp_abc@github.com/a/b)"),
            "(https://***@github.com/a/b)");
  EXPECT_EQ(mask_url_credentials("no url here: a:b@c"), "no url here: a:b@c");
  std::ostringstream out;
  Log log(out);
  log.error("clone of https://u:tok@h/r failed");
  EXPECT_EQ(out.str().find("tok"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace juanie::daemon
