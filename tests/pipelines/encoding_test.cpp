#include "pipelines/encoding.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

TEST(Encoding, Hex) {
  EXPECT_EQ(hex_encode(std::string("\x00\x7f\xff", 3)), "007fff");
  EXPECT_EQ(hex_digit('a'), 10);
  EXPECT_EQ(hex_digit('F'), 15);
  EXPECT_EQ(hex_digit('g'), -1);
}

TEST(Encoding, HexDecodeUndoesEncodeAndRefusesWhatIsNotHex) {
  const std::string bytes(
      "\x00\x7f\xff\x80"
      "ab",
      6);
  EXPECT_EQ(hex_decode(hex_encode(bytes)), bytes);
  EXPECT_EQ(hex_decode("0A0b"), std::string("\x0a\x0b"));
  EXPECT_EQ(hex_decode(""), std::string());
  EXPECT_EQ(hex_decode("abc"), std::nullopt);  // odd length
  EXPECT_EQ(hex_decode("zz"), std::nullopt);
  EXPECT_EQ(hex_decode("\\x00"), std::nullopt);  // bytea's prefix is the caller's to strip
}

TEST(Encoding, Base64AsRfc4648) {
  // RFC 4648 §10 test vectors.
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");  // padding optional
  EXPECT_FALSE(base64_decode("Zm9v!mFy"));
  EXPECT_FALSE(base64_decode("Z"));
  EXPECT_FALSE(base64_decode("Zm=9v"));    // padding only at the end
  EXPECT_FALSE(base64_decode("Zm9vYg="));  // wrong amount of padding
  EXPECT_FALSE(base64_decode("a$b"));
}

TEST(Encoding, PercentEncodingKeepsOnlyUnreserved) {
  EXPECT_EQ(percent_encode("a-Z_0.~"), "a-Z_0.~");
  EXPECT_EQ(percent_encode("a b/+=\xe2\x9c\x93"), "a%20b%2F%2B%3D%E2%9C%93");
}

// What a stranger posts reaches an audit row or a log line only as this: short, one line,
// nothing that a terminal or a log reader takes for anything but text.
TEST(Encoding, AQuotedExcerptIsShortOneLineAndEscaped) {
  EXPECT_EQ(quoted_excerpt("yes", 32), "\"yes\"");
  EXPECT_EQ(quoted_excerpt("", 32), "\"\"");
  EXPECT_EQ(quoted_excerpt("a\"b\\c", 32), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quoted_excerpt("x\n2026 approve ok\r\x1b[31m", 32),
            "\"x\\x0a2026 approve ok\\x0d\\x1b[31m\"");
  EXPECT_EQ(quoted_excerpt("\xe2\x9c\x93", 32), "\"\\xe2\\x9c\\x93\"");
  EXPECT_EQ(quoted_excerpt(std::string(1 << 20, 'x'), 8), "\"xxxxxxxx\"...");
  EXPECT_EQ(quoted_excerpt("12345678", 8), "\"12345678\"");
}

}  // namespace
}  // namespace juanie::pipelines
