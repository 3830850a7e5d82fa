// Committing and pushing one tag change to a GitOps repository: juanie's writer (libgit2: fetch,
// in-place edit, commit, non-force push) against the git CLI doing the same from a working
// clone (fetch, reset to the tip, sed, commit, push), both on one local bare repository, in
// one run so scripts/bench-gitops can print the ratio.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "runner/git_checkout.hpp"
#include "runner/gitops_writer.hpp"
#include "support/busybox_image.hpp"

namespace {

namespace fs = std::filesystem;
using namespace juanie;

fs::path repository() {
  static const fs::path dir = [] {
    char tmpl[] = "/tmp/juanie-gitops-bench.XXXXXX";
    fs::path p = ::mkdtemp(tmpl);
    const std::string work = (p / "work").string();
    test::sh("git init -q --bare -b main " + (p / "gitops.git").string() +
             " && git init -q -b main " + work + " && mkdir -p " + work +
             "/overlays/dev && printf 'kind: Kustomization\\n"
             "namespace: dev\\nimages:\\n  - name: registry.example.com/acme/app  # app\\n"
             "    newTag: v0\\n' > " +
             work + "/overlays/dev/kustomization.yaml && git -C " + work + " add -A && git -C " +
             work +
             " -c user.email=b@example.com -c user.name=B commit -qm "
             "init && git -C " +
             work + " remote add origin " + (p / "gitops.git").string() + " && git -C " + work +
             " push -q origin main");
    return p;
  }();
  return dir;
}

void BM_GitCli(benchmark::State& state) {
  const std::string work = (repository() / "work").string();
  const std::string g = "git -C " + work + " ";
  static int n = 0;  // across the runs Google Benchmark makes: every tag is new
  for (auto _ : state) {
    const std::string tag = "cli" + std::to_string(++n);
    int status = 0;
    test::sh(g + "fetch -q origin && " + g +
                 "reset -q --hard origin/main && sed -i "
                 "'s/^    newTag: .*/    newTag: " +
                 tag + "/' " + work + "/overlays/dev/kustomization.yaml && " + g +
                 "-c user.email=b@example.com -c user.name=B commit -qam 'deploy " + tag + "' && " +
                 g + "push -q origin HEAD:main",
             &status);
    if (status != 0) std::abort();
  }
}
BENCHMARK(BM_GitCli)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_JuanieWriter(benchmark::State& state) {
  runner::GitLibrary library;
  runner::GitOpsWriter writer(repository() / "clones");
  static int n = 0;  // across the runs Google Benchmark makes: every tag is new
  for (auto _ : state) {
    runner::GitOpsChange change;
    change.path = "overlays/dev/kustomization.yaml";
    change.image = {"registry.example.com/acme/app", "newTag", "juanie" + std::to_string(++n)};
    change.message = "deploy";
    auto outcome = writer.apply({(repository() / "gitops.git").string(), "main", {}}, change);
    if (!outcome || !outcome->committed) {
      state.SkipWithError(outcome ? "nothing committed" : outcome.error().message.c_str());
      break;
    }
  }
}
BENCHMARK(BM_JuanieWriter)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
