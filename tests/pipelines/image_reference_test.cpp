#include "pipelines/image_reference.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

TEST(ImageReference, AcceptsWhatRegistriesName) {
  for (const char* ok :
       {"golang", "golang:1.22", "library/debian:12", "docker.io/library/debian:12-slim",
        "registry.example.com:5000/acme/shop-api:abc123def456", "localhost/juanie-busybox:test",
        "localhost:5000/a/b", "ghcr.io/acme/my__app.v2/x-y--z:v1.0_rc-1",
        "alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "quay.io/a/b:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "10.0.0.1:5000/x"}) {
    EXPECT_EQ(image_reference_problem(ok), std::nullopt) << ok;
  }
}

TEST(ImageReference, RefusesWhatAnEngineWouldReadAsAnOption) {
  for (const char* hostile : {"--privileged", "-v", "--volume=/:/host", "-", "--network=host"}) {
    EXPECT_EQ(image_reference_problem(hostile), "must not start with '-'") << hostile;
  }
}

TEST(ImageReference, RefusesWhatTheGrammarDoesNot) {
  for (const char* bad : {"",
                          "Golang",
                          "golang:",
                          ":1",
                          "a//b",
                          "a/b/",
                          "/a",
                          "a b",
                          "a:b:c",
                          "a:-x",
                          "a:.x",
                          "_a",
                          "a_",
                          "a..b",
                          "a___b",
                          "exa_mple.com/a",
                          "host:port/a",
                          "a@sha256:short",
                          "a@sha256",
                          "a@:0123456789abcdef0123456789abcdef",
                          "a$(id)",
                          "a;b",
                          "a\nb"}) {
    EXPECT_NE(image_reference_problem(bad), std::nullopt) << bad;
  }
  EXPECT_NE(image_reference_problem(std::string(256, 'a')), std::nullopt);
  EXPECT_NE(image_reference_problem("a:" + std::string(129, 't')), std::nullopt);
}

TEST(ImageReference, AProjectsImageIsARepositoryJuanieTags) {
  constexpr auto kRepository = ImageReferenceKind::kRepositoryOnly;
  EXPECT_EQ(image_reference_problem("registry.example.com/acme/shop-api", kRepository),
            std::nullopt);
  EXPECT_EQ(image_reference_problem("localhost:5000/acme/shop-api", kRepository), std::nullopt);
  EXPECT_EQ(image_reference_problem("registry.example.com/acme/shop-api:v1", kRepository),
            "must be a repository without a tag (Juanie adds the tag)");
  EXPECT_NE(image_reference_problem("--privileged", kRepository), std::nullopt);
}

}  // namespace
}  // namespace juanie::pipelines
