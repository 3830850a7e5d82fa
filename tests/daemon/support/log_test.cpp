#include "daemon/support/log.hpp"

#include <gtest/gtest.h>

#include <ostream>
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
            "juanie: warning: webhook github/shop refused (401): bad signature\n");
  EXPECT_EQ(buffer.pieces[1], "juanie: started\n");
}

}  // namespace
}  // namespace juanie::daemon
