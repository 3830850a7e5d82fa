#include "daemon/support/crypto.hpp"

#include <gtest/gtest.h>

#include "support/scripted_random.hpp"

namespace juanie::daemon {
namespace {

TEST(Crypto, Sha256KnownAnswer) {
  EXPECT_EQ(hex_encode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_encode(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Crypto, HmacGithubPublishedVector) {
  EXPECT_EQ(hex_encode(hmac_sha256("It's a Secret to Everybody", "Hello, World!")),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST(Crypto, HexDecodeRejectsWrongShapes) {
  const std::string good = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  ASSERT_TRUE(hex_decode_digest(good));
  EXPECT_EQ(hex_encode(*hex_decode_digest(good)), good);
  EXPECT_TRUE(
      hex_decode_digest("757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"));
  EXPECT_FALSE(hex_decode_digest(good.substr(1)));
  EXPECT_FALSE(hex_decode_digest(good + "0"));
  EXPECT_FALSE(hex_decode_digest("g" + good.substr(1)));
  EXPECT_FALSE(hex_decode_digest(""));
}

TEST(Crypto, Base64RoundTripAndRejects) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto decoded = base64_decode(base64_encode(s));
    ASSERT_TRUE(decoded) << s;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm9v!mFy"));
  EXPECT_EQ(*base64_decode("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
            "0123456789abcdef0123456789abcdef");
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret "));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal(sha256("a"), sha256("a")));
  EXPECT_FALSE(constant_time_equal(sha256("a"), sha256("b")));
}

TEST(Crypto, RandomHexTakesItsBytesFromTheRandomSource) {
  test::ScriptedRandom random;
  EXPECT_EQ(random_hex(random, 4), "00010203");
  EXPECT_EQ(random_hex(random, 2), "0405");
}

TEST(Crypto, OpenSslRandomStaysWithinItsBound) {
  const OpenSslRandom random;
  bool saw_low = false, saw_high = false;
  for (int i = 0; i < 1000; ++i) {
    const auto n = random.up_to(3);
    ASSERT_LE(n, 3u);
    saw_low = saw_low || n == 0;
    saw_high = saw_high || n == 3;
  }
  EXPECT_TRUE(saw_low && saw_high);  // each has chance 1 - (3/4)^1000 of being seen
  EXPECT_EQ(random.up_to(0), 0u);
  EXPECT_EQ(random_hex(16).size(), 32u);
}

}  // namespace
}  // namespace juanie::daemon
