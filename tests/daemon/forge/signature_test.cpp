#include "daemon/forge/signature.hpp"

#include <gtest/gtest.h>

// The vectors of ../shared/webhook-vectors.md.
namespace juanie::daemon {
namespace {

using namespace std::chrono_literals;

const std::string kSecret = "s3cr3t-ci-daemon";
const std::string kBody =
    R"({"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"1111111111111111111111111111111111111111","deleted":false})";
const std::string kHex = "efa97bfcacec95d044d4134e2678724f942a4748d328e3a93ab4c68d8e455395";
const auto kNow = std::chrono::system_clock::time_point(1700000000s);

http::Request request(std::string body, std::vector<std::pair<std::string, std::string>> headers) {
  http::Request r;
  r.method = "POST";
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

bool verifies(Forge forge, const http::Request& r, const std::string& secret = kSecret,
              std::chrono::system_clock::time_point now = kNow) {
  return verify_signature(forge, r, secret, now).has_value();
}

TEST(GithubSignature, PublishedVector) {
  auto r = request("Hello, World!",
                   {{"X-Hub-Signature-256",
                     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}});
  EXPECT_TRUE(verifies(Forge::kGithub, r, "It's a Secret to Everybody"));
}

TEST(GithubSignature, PushLikeBody) {
  EXPECT_TRUE(
      verifies(Forge::kGithub, request(kBody, {{"X-Hub-Signature-256", "sha256=" + kHex}})));
  // Header names are case-insensitive on the wire.
  EXPECT_TRUE(
      verifies(Forge::kGithub, request(kBody, {{"x-hub-signature-256", "sha256=" + kHex}})));
}

TEST(GithubSignature, Refusals) {
  auto check = [](const http::Request& r, const std::string& expected_message) {
    auto result = verify_signature(Forge::kGithub, r, kSecret, kNow);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find(expected_message), std::string::npos)
        << result.error().message;
  };
  check(request(kBody + "\n", {{"X-Hub-Signature-256", "sha256=" + kHex}}), "does not match");
  check(request(kBody, {}), "missing X-Hub-Signature-256");
  check(request(kBody, {{"X-Hub-Signature", "sha1=afdce8677625467baed6dbefb028ca05adcd3c9f"}}),
        "SHA-1");
  check(request(kBody, {{"X-Hub-Signature-256", kHex}}), "must start with sha256=");
  check(request(kBody, {{"X-Hub-Signature-256", "sha256=" + kHex.substr(2)}}), "not a hex");
  check(
      request(kBody, {{"X-Hub-Signature-256",
                       "sha256=115fa35f30556c7b0383b2a66c82ef918c43fdb19c60ea85dd0232bca69d6181"}}),
      "does not match");
  EXPECT_FALSE(verifies(Forge::kGithub, request(kBody, {{"X-Hub-Signature-256", "sha256=" + kHex}}),
                        "wrong-secret"));
}

TEST(GithubSignature, EmptyBodyVector) {
  EXPECT_TRUE(verifies(
      Forge::kGithub,
      request("", {{"X-Hub-Signature-256",
                    "sha256=8a537f8d4b2bf206e164dfae6dcb339d1a426f46a358d5d66aaaba163f035f13"}})));
}

TEST(GiteaSignature, BareHexInEitherHeader) {
  EXPECT_TRUE(verifies(Forge::kGitea, request(kBody, {{"X-Gitea-Signature", kHex}})));
  EXPECT_TRUE(verifies(Forge::kGitea, request(kBody, {{"X-Forgejo-Signature", kHex}})));
  EXPECT_FALSE(verifies(Forge::kGitea, request(kBody, {{"X-Gitea-Signature", "sha256=" + kHex}})));
  EXPECT_FALSE(verifies(Forge::kGitea, request(kBody + "\n", {{"X-Gitea-Signature", kHex}})));
  EXPECT_FALSE(verifies(Forge::kGitea, request(kBody, {})));
  // A GitHub-style header alone is not Gitea's signature.
  EXPECT_FALSE(
      verifies(Forge::kGitea, request(kBody, {{"X-Hub-Signature-256", "sha256=" + kHex}})));
}

TEST(GitlabToken, ExactMatchOnly) {
  EXPECT_TRUE(verifies(Forge::kGitlab, request(kBody, {{"X-Gitlab-Token", "s3cr3t-ci-daemon"}})));
  EXPECT_FALSE(verifies(Forge::kGitlab, request(kBody, {{"X-Gitlab-Token", "s3cr3t-ci-daemoN"}})));
  EXPECT_FALSE(verifies(Forge::kGitlab, request(kBody, {{"X-Gitlab-Token", "s3cr3t-ci-daemon "}})));
  EXPECT_FALSE(verifies(Forge::kGitlab, request(kBody, {{"X-Gitlab-Token", ""}})));
  EXPECT_FALSE(verifies(Forge::kGitlab, request(kBody, {})));
}

const std::string kSigningToken = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const std::string kGitlabSignature = "v1,k/JHT8PbqFUF+jXg1pMCONsAgO1ZWa3Ntzh02A1qjfA=";

http::Request signed_gitlab(std::string signature, std::string timestamp = "1700000000",
                            std::string body = kBody) {
  return request(std::move(body), {{"webhook-id", "f5e5f430-f57b-4e6e-9fac-d9128cd7232f"},
                                   {"webhook-timestamp", std::move(timestamp)},
                                   {"webhook-signature", std::move(signature)}});
}

TEST(GitlabSigningToken, SharedVector) {
  EXPECT_TRUE(verifies(Forge::kGitlab, signed_gitlab(kGitlabSignature), kSigningToken));
}

TEST(GitlabSigningToken, AnyOfSeveralSignaturesPasses) {
  const std::string rotated = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + kGitlabSignature;
  EXPECT_TRUE(verifies(Forge::kGitlab, signed_gitlab(rotated), kSigningToken));
  EXPECT_TRUE(verifies(Forge::kGitlab, signed_gitlab("v2,zzz " + kGitlabSignature), kSigningToken));
}

TEST(GitlabSigningToken, TimestampWindowIsFiveMinutes) {
  EXPECT_TRUE(
      verifies(Forge::kGitlab, signed_gitlab(kGitlabSignature), kSigningToken, kNow + 299s));
  EXPECT_TRUE(
      verifies(Forge::kGitlab, signed_gitlab(kGitlabSignature), kSigningToken, kNow - 299s));
  auto stale =
      verify_signature(Forge::kGitlab, signed_gitlab(kGitlabSignature), kSigningToken, kNow + 301s);
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("five minutes"), std::string::npos);
  EXPECT_FALSE(
      verifies(Forge::kGitlab, signed_gitlab(kGitlabSignature), kSigningToken, kNow - 301s));
}

TEST(GitlabSigningToken, Refusals) {
  EXPECT_FALSE(verifies(Forge::kGitlab, signed_gitlab(kGitlabSignature, "1700000000", kBody + "\n"),
                        kSigningToken));
  // The timestamp is part of what is signed: moving it breaks the signature.
  EXPECT_FALSE(
      verifies(Forge::kGitlab, signed_gitlab(kGitlabSignature, "1700000001"), kSigningToken, kNow));
  EXPECT_FALSE(verifies(Forge::kGitlab, signed_gitlab(kGitlabSignature, "17e8"), kSigningToken));
  EXPECT_FALSE(verifies(Forge::kGitlab,
                        signed_gitlab("k/JHT8PbqFUF+jXg1pMCONsAgO1ZWa3Ntzh02A1qjfA="),
                        kSigningToken));
  EXPECT_FALSE(verifies(Forge::kGitlab, signed_gitlab("v1,not base64!"), kSigningToken));
  // A signing-token project does not fall back to the plain token header.
  EXPECT_FALSE(
      verifies(Forge::kGitlab, request(kBody, {{"X-Gitlab-Token", kSigningToken}}), kSigningToken));
}

TEST(Signature, EmptySecretNeverVerifies) {
  EXPECT_FALSE(verifies(Forge::kGitlab, request(kBody, {{"X-Gitlab-Token", ""}}), ""));
}

}  // namespace
}  // namespace juanie::daemon
