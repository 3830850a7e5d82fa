#include "pipelines/pipeline_file.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

using namespace std::chrono_literals;

// DESIGN.md's example pipeline, verbatim.
const char* kExample = R"(# .juanie.yml — in the application repository
steps:
  - name: test
    image: golang:1.22
    commands: [go vet ./..., go test ./...]
    secrets: [NPM_TOKEN]                      # given as an environment variable, masked in logs
    timeout: 10m
  - name: integration
    commands: [./scripts/it.sh]
    network: true
    when: {branch: ["release/*", main]}
image:
  dockerfile: Dockerfile
  context: .
)";

std::string error_of(const std::string& text) {
  auto r = parse_pipeline(text, ".juanie.yml");
  EXPECT_FALSE(r) << text;
  return r ? "" : r.error().message;
}

TEST(PipelineFile, TheDocumentedExampleParses) {
  auto p = parse_pipeline(kExample, ".juanie.yml");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->steps.size(), 2u);
  const Step& test = p->steps[0];
  EXPECT_EQ(test.name, "test");
  EXPECT_EQ(test.image, "golang:1.22");
  EXPECT_EQ(test.commands, (std::vector<std::string>{"go vet ./...", "go test ./..."}));
  EXPECT_EQ(test.secrets, (std::vector<std::string>{"NPM_TOKEN"}));
  EXPECT_EQ(test.timeout, 10min);
  EXPECT_FALSE(test.network);
  EXPECT_EQ(test.line, 3);
  const Step& it = p->steps[1];
  EXPECT_TRUE(it.network);
  EXPECT_EQ(it.when.branches, (std::vector<std::string>{"release/*", "main"}));
  ASSERT_TRUE(p->image);
  EXPECT_EQ(p->image->dockerfile, "Dockerfile");
}

TEST(PipelineFile, EnvDependsOnAndSingleStrings) {
  auto p = parse_pipeline(
      "steps:\n"
      "  - name: build\n    commands: make\n    env: {GOFLAGS: -mod=vendor, LEVEL: 3}\n"
      "  - name: test\n    commands: [make test]\n    depends_on: build\n"
      "    when: {event: push, environment: [dev, staging]}\n",
      ".juanie.yml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->steps[0].commands, (std::vector<std::string>{"make"}));
  EXPECT_EQ(p->steps[0].env.size(), 2u);
  EXPECT_EQ(p->steps[0].env[1], (std::pair<std::string, std::string>{"LEVEL", "3"}));
  EXPECT_EQ(p->steps[1].depends_on, (std::vector<std::string>{"build"}));
  EXPECT_EQ(p->steps[1].when.events, (std::vector<std::string>{"push"}));
  EXPECT_EQ(p->steps[1].when.environments.size(), 2u);
  EXPECT_FALSE(p->image);
}

TEST(PipelineFile, ErrorsNameLineColumnAndField) {
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\n    comands: [y]\n"),
            ".juanie.yml:4:5: steps[0].comands: unknown key");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\n  - name: a\n    commands: [y]\n"),
            ".juanie.yml:4:11: steps[1].name: \"a\" is already the name of the step on line 2");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\n    depends_on: [b]\n"),
            ".juanie.yml:4:17: steps[0].depends_on: no step is named \"b\"");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\n    timeout: soon\n"),
            ".juanie.yml:4:14: steps[0].timeout: \"soon\" is not a duration (like 30s, 10m, 24h, "
            "1h30m)");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\n    network: maybe\n"),
            ".juanie.yml:4:14: steps[0].network: must be true or false");
  EXPECT_EQ(error_of("steps:\n  - name: a\n"), ".juanie.yml:2:5: steps[0].commands: is required");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: []\n"),
            ".juanie.yml:3:15: steps[0].commands: needs at least one command");
  EXPECT_EQ(error_of("steps: []\n"), ".juanie.yml:1:8: steps: must be a non-empty list of steps");
  EXPECT_EQ(error_of("stages: []\n"), ".juanie.yml:1:1: steps: is required");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\n    env: {JUANIE_SHA: x}\n"),
            ".juanie.yml:4:11: steps[0].env.JUANIE_SHA: is set by juanie and cannot be overridden");
  EXPECT_EQ(error_of("steps:\n  - name: a b\n    commands: [x]\n"),
            ".juanie.yml:2:11: steps[0].name: \"a b\" must be letters, digits, '.', '_' or '-' (at "
            "most 63)");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\n    when: {event: pull}\n"),
            ".juanie.yml:4:19: steps[0].when.event: \"pull\" is not an event (push, tag, manual or "
            "pull_request)");
  // when.target_branch is a glob (or a list of them); a mapping there is refused with its place.
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\n    when: {target_branch: {a: b}}\n"),
            ".juanie.yml:4:27: steps[0].when.target_branch: must be a list of strings");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\n    when: {target: main}\n"),
            ".juanie.yml:4:12: steps[0].when.target: unknown key");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\nimage: {context: ../..}\n"),
            ".juanie.yml:4:8: image: dockerfile and context must be paths inside the repository");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: {x: 1}\n"),
            ".juanie.yml:3:15: steps[0].commands: must be a list of strings");
}

// An engine reads "--privileged" as an option wherever it stands on its command line.
TEST(PipelineFile, ImagesFollowTheReferenceGrammar) {
  EXPECT_EQ(error_of("steps:\n  - name: a\n    image: \"--privileged\"\n    commands: [x]\n"),
            ".juanie.yml:3:12: steps[0].image: \"--privileged\" must not start with '-'");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\n  - name: b\n    image: Debian:12\n"
                     "    commands: [x]\n"),
            ".juanie.yml:5:12: steps[1].image: \"Debian:12\" has an invalid name component "
            "\"Debian\" (lowercase letters and digits, separated by '.', '_', '__' or '-')");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    image: \"\"\n    commands: [x]\n"),
            ".juanie.yml:3:12: steps[0].image: \"\" is empty");
  EXPECT_EQ(error_of("steps:\n  - name: a\n    commands: [x]\nimage: {context: \"--help\"}\n"),
            ".juanie.yml:4:8: image: dockerfile and context must be paths inside the repository");
  auto p = parse_pipeline(
      "steps:\n  - name: a\n    image: registry.example.com:5000/acme/go:1.22@sha256:"
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n    commands: [x]\n",
      ".juanie.yml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->steps[0].image.substr(0, 34), "registry.example.com:5000/acme/go:");
}

TEST(PipelineFile, CyclesAreNamed) {
  const std::string message = error_of(
      "steps:\n"
      "  - {name: a, commands: [x], depends_on: [c]}\n"
      "  - {name: b, commands: [x], depends_on: [a]}\n"
      "  - {name: c, commands: [x], depends_on: [b]}\n");
  EXPECT_EQ(message,
            ".juanie.yml:2:42: steps[0].depends_on: steps depend on each other: a → c → b → a");
  EXPECT_NE(error_of("steps:\n  - {name: a, commands: [x], depends_on: [a]}\n").find("a → a"),
            std::string::npos);
}

TEST(PipelineFile, RunsOnAsksTheNodeForTheLabelsOfTheRunAndOfEveryStep) {
  auto p = parse_pipeline(
      "runs_on: arm64\n"
      "steps:\n"
      "  - {name: build, commands: [make]}\n"
      "  - {name: gpu-test, commands: [make gpu], runs_on: [gpu, arm64]}\n"
      "  - {name: lint, commands: [make lint], runs_on: [fast.disk]}\n",
      ".juanie.yml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->runs_on, (std::vector<std::string>{"arm64"}));
  EXPECT_TRUE(p->steps[0].runs_on.empty());
  EXPECT_EQ(p->steps[1].runs_on, (std::vector<std::string>{"gpu", "arm64"}));
  // One node runs every step of a run (they share its workspace): it needs them all, once.
  EXPECT_EQ(labels_needed(*p), (std::vector<std::string>{"arm64", "gpu", "fast.disk"}));
  auto none = parse_pipeline("steps:\n  - {name: a, commands: [x]}\n", ".juanie.yml");
  ASSERT_TRUE(none);
  EXPECT_TRUE(labels_needed(*none).empty());
}

TEST(PipelineFile, RunsOnLabelsAreNodeLabels) {
  EXPECT_EQ(error_of("runs_on: [arm64, \"x y\"]\nsteps:\n  - {name: a, commands: [x]}\n"),
            ".juanie.yml:1:10: runs_on: \"x y\" must be 1 to 63 letters, digits, '-', '_' or '.' "
            "(a node label)");
  EXPECT_EQ(error_of("steps:\n  - {name: a, commands: [x], runs_on: [\"\"]}\n"),
            ".juanie.yml:2:40: steps[0].runs_on: must be a list of non-empty strings");
  EXPECT_EQ(error_of("runs_on: {arch: arm64}\nsteps:\n  - {name: a, commands: [x]}\n"),
            ".juanie.yml:1:10: runs_on: must be a list of strings");
  EXPECT_EQ(error_of("runs_on: [" + std::string(64, 'a') +
                     "]\nsteps:\n  - {name: a, commands: "
                     "[x]}\n")
                .substr(0, 30),
            ".juanie.yml:1:10: runs_on: \"aa");
  // A handful of labels, not a list to make each claim and each reason heavy.
  std::string many = "[l0";
  for (int i = 1; i < 17; ++i) many += ", l" + std::to_string(i);
  many += "]";
  EXPECT_EQ(error_of("runs_on: " + many + "\nsteps:\n  - {name: a, commands: [x]}\n"),
            ".juanie.yml:1:10: runs_on: at most 16 labels, not 17");
  std::string steps = "steps:\n";
  for (int i = 0; i < 3; ++i) {
    steps += "  - {name: s" + std::to_string(i) + ", commands: [x], runs_on: [a" +
             std::to_string(i) + ", b" + std::to_string(i) + ", c" + std::to_string(i) + ", d" +
             std::to_string(i) + ", e" + std::to_string(i) + ", f" + std::to_string(i) + "]}\n";
  }
  EXPECT_EQ(error_of(steps),
            ".juanie.yml:1:1: runs_on: the pipeline and its steps ask for 18 different labels; at "
            "most 16");
}

TEST(PipelineFile, SyntaxErrors) {
  const std::string message = error_of("steps:\n  - name: [a\n");
  EXPECT_EQ(message.rfind(".juanie.yml:", 0), 0u);
  EXPECT_NE(error_of("- just a list\n").find("a pipeline file must be a mapping"),
            std::string::npos);
}

}  // namespace
}  // namespace juanie::pipelines
