#include "daemon/approvals/link_token.hpp"

#include <gtest/gtest.h>

#include "daemon/support/crypto.hpp"

namespace juanie::daemon::approvals {
namespace {

const SigningKey kKey = make_signing_key("an-approval-signing-key-of-32-bytes!!");
const SigningKey kOld = make_signing_key("the-previous-signing-key-of-32-bytes!!");

LinkClaims claims() {
  return LinkClaims{42, "bob", "prod", "sha256:abc", 1'900'000'000, "0123456789abcdef", ""};
}

TEST(LinkToken, RoundTripsEveryClaim) {
  const std::string token = sign_link(claims(), kKey);
  EXPECT_TRUE(token.starts_with("v1." + kKey.id + "."));
  auto c = verify_link(token, {kKey});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->deployment, 42);
  EXPECT_EQ(c->approver, "bob");
  EXPECT_EQ(c->environment, "prod");
  EXPECT_EQ(c->digest, "sha256:abc");
  EXPECT_EQ(c->expires, 1'900'000'000);
  EXPECT_EQ(c->nonce, "0123456789abcdef");
  EXPECT_EQ(c->key_id, kKey.id);
  // URL-safe as it is: no escaping needed in a path segment.
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
      std::string::npos);
}

TEST(LinkToken, AnyChangedCharacterIsRefused) {
  const std::string token = sign_link(claims(), kKey);
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    auto c = verify_link(t, {kKey});
    EXPECT_FALSE(c) << "position " << i;
  }
}

TEST(LinkToken, ClaimsCannotBeSwappedBetweenLinks) {
  // Bob's claims with alice's signature: the MAC covers the claims.
  LinkClaims alice = claims();
  alice.approver = "alice";
  const std::string a = sign_link(alice, kKey);
  const std::string b = sign_link(claims(), kKey);
  const std::string spliced = b.substr(0, b.rfind('.')) + a.substr(a.rfind('.'));
  auto c = verify_link(spliced, {kKey});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().fault, LinkFault::kBadSignature);
}

TEST(LinkToken, RotationVerifiesOldLinksAndRefusesUnknownKeys) {
  const std::string old = sign_link(claims(), kOld);
  EXPECT_TRUE(verify_link(old, {kKey, kOld}));
  auto dropped = verify_link(old, {kKey});
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().fault, LinkFault::kUnknownKey);
  // A key id that names ours, over a MAC made with another secret.
  SigningKey impostor{kKey.id, "not-the-real-secret-but-same-id-claimed"};
  auto forged = verify_link(sign_link(claims(), impostor), {kKey});
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().fault, LinkFault::kBadSignature);
}

TEST(LinkToken, MalformedTokensAreRefusedWithAReason) {
  const std::vector<std::string> cases{"",
                                       "v1",
                                       "v1...",
                                       "v2.a.b.c",
                                       "v1.x.y",
                                       "v1.a.b.c.d",
                                       std::string(3000, 'a'),
                                       "v1." + kKey.id + "..",
                                       "%00"};
  for (const auto& bad : cases) {
    auto c = verify_link(bad, {kKey});
    ASSERT_FALSE(c) << bad;
    EXPECT_FALSE(c.error().message.empty());
  }
}

TEST(LinkToken, TheCsrfValueIsBoundToTheLink) {
  auto c = verify_link(sign_link(claims(), kKey), {kKey});
  ASSERT_TRUE(c);
  LinkClaims other = *c;
  other.nonce = "another-nonce";
  EXPECT_FALSE(csrf_value(*c, {kKey}).empty());
  EXPECT_NE(csrf_value(*c, {kKey}), csrf_value(other, {kKey}));
  EXPECT_EQ(csrf_value(*c, {kKey}), csrf_value(*c, {kOld, kKey}));
}

TEST(LinkToken, MintedLinksCarryTheClaimsAndAFreshNonceEach) {
  const std::string base = "https://ci.example.org";
  const std::string first = mint_link(base, claims(), kKey);
  const std::string second = mint_link(base, claims(), kKey);
  ASSERT_TRUE(first.starts_with(base + "/approve/v1.")) << first;
  auto c1 = verify_link(first.substr(base.size() + 9), {kKey});
  auto c2 = verify_link(second.substr(base.size() + 9), {kKey});
  ASSERT_TRUE(c1 && c2);
  EXPECT_EQ(c1->deployment, 42);
  EXPECT_EQ(c1->approver, "bob");
  EXPECT_EQ(c1->expires, 1'900'000'000);
  // The claims' own nonce is replaced: two links never record the same decision.
  EXPECT_NE(c1->nonce, claims().nonce);
  EXPECT_EQ(c1->nonce.size(), 32u);
  EXPECT_NE(c1->nonce, c2->nonce);
}

TEST(LinkToken, TheBaseIsPublicUrlElseTheListenAddress) {
  config::DaemonConfig daemon;
  daemon.listen = {"127.0.0.1", 0};
  EXPECT_EQ(link_base(daemon, 43210), "http://127.0.0.1:43210");
  daemon.listen.port = 8080;
  EXPECT_EQ(link_base(daemon, 43210), "http://127.0.0.1:8080");
  daemon.tls = config::TlsFiles{};
  EXPECT_EQ(link_base(daemon, 0), "https://127.0.0.1:8080");
  daemon.public_url = "https://ci.example.org/juanie//";
  EXPECT_EQ(link_base(daemon, 0), "https://ci.example.org/juanie");
}

TEST(Base64Url, RoundTripsAndRefusesOtherSpellings) {
  for (const std::string& s :
       std::vector<std::string>{"", "f", "fo", "foo", "foob", "\xff\xfe\xfd", "?>?>"}) {
    const std::string e = base64url_encode(s);
    EXPECT_EQ(e.find_first_of("+/="), std::string::npos) << e;
    EXPECT_EQ(base64url_decode(e), s);
  }
  EXPECT_FALSE(base64url_decode("Zm9v="));  // padding
  EXPECT_FALSE(base64url_decode("Zm+v"));   // standard alphabet
  EXPECT_FALSE(base64url_decode("Zh"));     // non-canonical: unused bits set
  EXPECT_FALSE(base64url_decode("Z"));
}

}  // namespace
}  // namespace juanie::daemon::approvals
