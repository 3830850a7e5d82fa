#include "daemon/flux/flux_event.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::flux {
namespace {

// What notification-controller v1.5+ posts for a healthy Kustomization (prefix stripped).
const std::string kSucceeded =
    R"({"involvedObject":{"kind":"Kustomization","namespace":"flux-system","name":"shop-api-dev"},)"
    R"("severity":"info","timestamp":"2026-11-30T12:00:00Z","message":"Reconciliation finished",)"
    R"("reason":"ReconciliationSucceeded","metadata":{"revision":"main@sha1:0123456789abcdef0123456789abcdef01234567"},)"
    R"("reportingController":"kustomize-controller"})";
const std::string kKey = "flux-hmac-key-of-shop-api";
// Computed with Python's hmac module over kSucceeded and kKey.
const std::string kSha256 = "312e7021b7a1fa0634a8dad8bb1962cc3046122be3b1c13f84660187efb66116";
const std::string kSha512 =
    "ed1b766a2b1a759f28d1be472c860e34aebb3149a801686bce7d2355d6a3a64ad66c2be3bd4306f2ebe64f2b76f52"
    "b58a04e8c5f8b7ceebc551ec84929afb1a5";

TEST(FluxEvent, ReadsTheObjectTheVerdictAndTheRevisionsCommit) {
  auto e = parse_flux_event(kSucceeded);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->kind, "Kustomization");
  EXPECT_EQ(e->name, "shop-api-dev");
  EXPECT_EQ(e->namespace_, "flux-system");
  EXPECT_EQ(e->severity, "info");
  EXPECT_EQ(e->reason, "ReconciliationSucceeded");
  EXPECT_EQ(e->message, "Reconciliation finished");
  EXPECT_EQ(e->controller, "kustomize-controller");
  EXPECT_EQ(e->revision, "main@sha1:0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(e->commit, "0123456789abcdef0123456789abcdef01234567");
}

TEST(FluxEvent, AcceptsTheOlderPrefixedRevisionKeyAndForm) {
  auto e = parse_flux_event(
      R"({"involvedObject":{"kind":"Kustomization","name":"app-prod"},"severity":"error",)"
      R"("reason":"HealthCheckFailed","message":"Deployment/app not ready",)"
      R"("metadata":{"kustomize.toolkit.fluxcd.io/revision":"main/89abcdef0123456789abcdef0123456789abcdef"}})");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->commit, "89abcdef0123456789abcdef0123456789abcdef");
  EXPECT_EQ(e->namespace_, "");
}

TEST(FluxEvent, AnEventWithoutARevisionHasNoCommit) {
  auto e = parse_flux_event(
      R"({"involvedObject":{"kind":"GitRepository","name":"gitops"},"severity":"info","reason":"Progressing"})");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_FALSE(e->revision);
  EXPECT_FALSE(e->commit);
}

TEST(FluxEvent, ErrorsNameTheField) {
  auto error_of = [](const std::string& body) {
    auto e = parse_flux_event(body);
    return e ? std::string("parsed") : e.error().message;
  };
  EXPECT_EQ(error_of("[]"), "the body is not a JSON object");
  EXPECT_TRUE(error_of("{").starts_with("the body is not JSON: ")) << error_of("{");
  EXPECT_EQ(error_of(R"({"severity":"info","reason":"x"})"),
            "involvedObject is missing or not an object");
  EXPECT_EQ(error_of(R"({"involvedObject":{"name":"a"},"severity":"info","reason":"x"})"),
            "involvedObject.kind is missing");
  EXPECT_EQ(error_of(R"({"involvedObject":{"kind":"K","name":7},"severity":"info","reason":"x"})"),
            "involvedObject.name is not a string");
  EXPECT_EQ(error_of(R"({"involvedObject":{"kind":"K","name":"a"},"reason":"x"})"),
            "severity is missing");
  EXPECT_EQ(
      error_of(
          R"({"involvedObject":{"kind":"K","name":"a"},"severity":"info","reason":"x","metadata":[]})"),
      "metadata is not an object");
  EXPECT_EQ(
      error_of(
          R"({"involvedObject":{"kind":"K","name":"a"},"severity":"info","reason":"x","metadata":{"revision":1}})"),
      "metadata.revision is not a string");
}

TEST(FluxEvent, LongTextIsCutWithoutSplittingACharacter) {
  const std::string message(5000, 'a');
  auto e = parse_flux_event(
      R"({"involvedObject":{"kind":"K","name":"a"},"severity":"info","reason":"x","message":")" +
      std::string(4095, 'a') + "\xc3\xa9" + message + "\"}");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->message, std::string(4095, 'a'));
}

TEST(FluxSignature, AcceptsTheHmacOfTheBodyInAnySha2Size) {
  EXPECT_TRUE(verify_flux_signature("sha256=" + kSha256, kSucceeded, kKey));
  EXPECT_TRUE(verify_flux_signature("sha512=" + kSha512, kSucceeded, kKey));
  EXPECT_TRUE(verify_flux_signature("SHA256=" + std::string(kSha256), kSucceeded, kKey));
}

TEST(FluxSignature, RefusesWhatTheKeyDidNotSign) {
  auto message = [](Result<void> r) { return r ? std::string("accepted") : r.error().message; };
  EXPECT_EQ(message(verify_flux_signature(std::nullopt, kSucceeded, kKey)),
            "missing X-Signature (the project has a flux.hmac_key)");
  EXPECT_EQ(message(verify_flux_signature("sha256=" + kSha256, kSucceeded + " ", kKey)),
            "X-Signature does not match the body");
  EXPECT_EQ(message(verify_flux_signature("sha256=" + kSha256, kSucceeded, "other key")),
            "X-Signature does not match the body");
  EXPECT_EQ(message(verify_flux_signature(kSha256, kSucceeded, kKey)),
            "X-Signature must be <hash>=<hex HMAC>");
  EXPECT_EQ(message(verify_flux_signature("md5=" + kSha256, kSucceeded, kKey)),
            "X-Signature uses md5; sha224, sha256, sha384 or sha512 is required");
  EXPECT_EQ(message(verify_flux_signature("sha512=" + kSha256, kSucceeded, kKey)),
            "X-Signature does not match the body");
}

}  // namespace
}  // namespace juanie::daemon::flux
