// The start cost of a one-command step: juanie's bubblewrap step against a bare bwrap call
// with the same isolation and against a plain fork-exec, and juanie's podman step against a
// bare `podman run` with the same isolation, all measured in one run so scripts/bench-runner
// can print the ratios.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "pipelines/pipeline_file.hpp"
#include "pipelines/plan.hpp"
#include "runner/container_sandbox.hpp"
#include "runner/pipeline_run.hpp"
#include "runner/sandbox.hpp"
#include "runner/step_process.hpp"
#include "support/busybox_image.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using namespace juanie;

fs::path scratch() {
  static const fs::path dir = [] {
    char tmpl[] = "/tmp/juanie-bench.XXXXXX";
    fs::path p = ::mkdtemp(tmpl);
    fs::permissions(p, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
    fs::create_directories(p / "ws");
    if (auto user = runner::default_sandbox_user()) {
      ::chown((p / "ws").c_str(), user->first, user->second);
    }
    return p;
  }();
  return dir;
}

void spawn_and_wait(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) std::abort();
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::abort();
}

void BM_ForkExec(benchmark::State& state) {
  for (auto _ : state) spawn_and_wait({"/bin/true"});
}
BENCHMARK(BM_ForkExec)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same namespaces, mounts and user as juanie's step, written by hand, running /bin/true.
void BM_BareBwrap(benchmark::State& state) {
  std::vector<std::string> args;
  if (auto user = runner::default_sandbox_user()) {
    args = {"setpriv", "--reuid=" + std::to_string(user->first),
            "--regid=" + std::to_string(user->second), "--clear-groups", "--"};
  }
  for (const char* a : {"bwrap",         "--unshare-user",
                        "--unshare-pid", "--unshare-ipc",
                        "--unshare-uts", "--unshare-cgroup-try",
                        "--unshare-net", "--die-with-parent",
                        "--new-session", "--cap-drop",
                        "ALL",           "--ro-bind",
                        "/usr",          "/usr",
                        "--ro-bind",     "/etc",
                        "/etc",          "--symlink",
                        "usr/bin",       "/bin",
                        "--symlink",     "usr/lib",
                        "/lib",          "--symlink",
                        "usr/lib64",     "/lib64",
                        "--proc",        "/proc",
                        "--dev",         "/dev",
                        "--tmpfs",       "/tmp"}) {
    args.emplace_back(a);
  }
  args.insert(args.end(), {"--bind", (scratch() / "ws").string(), "/workspace", "--chdir",
                           "/workspace", "--clearenv", "--", "/bin/true"});
  for (auto _ : state) spawn_and_wait(args);
}
BENCHMARK(BM_BareBwrap)->Unit(benchmark::kMillisecond)->UseRealTime();

// juanie's step process: bwrap_argv (prlimit, sh -c with the echoed script) under the step
// supervisor that collects the output.
void BM_JuanieBwrapStep(benchmark::State& state) {
  runner::SandboxSpec spec;
  spec.workspace = scratch() / "ws";
  spec.env = {{"CI", "true"}, {"PATH", "/usr/bin:/bin"}};
  spec.commands = {"true"};
  spec.run_as = runner::default_sandbox_user();
  runner::ProcessOptions options;
  options.argv = runner::bwrap_argv(spec);
  options.env = {"PATH=/usr/bin:/bin"};
  for (auto _ : state) {
    auto outcome = runner::run_process(options, [](std::string_view) {});
    if (!outcome || outcome->exit_code != 0) std::abort();
  }
}
BENCHMARK(BM_JuanieBwrapStep)->Unit(benchmark::kMillisecond)->UseRealTime();

// A whole one-step pipeline as the daemon runs it: plan, step log file, records; in the
// step cgroups given, when given.
void one_step_pipelines(benchmark::State& state, runner::StepCgroups* cgroups) {
  auto pipeline =
      pipelines::parse_pipeline("steps:\n  - {name: noop, commands: [\"true\"]}\n", ".juanie.yml");
  pipelines::RunContext ctx{
      "bench", "refs/heads/develop", "branch", "develop", std::string(40, 'a'), "dev", "push", 1};
  const auto plan = pipelines::plan(*pipeline, ctx);
  runner::PipelineRunOptions options;
  options.workspace = scratch() / "ws";
  options.logs_dir = scratch() / "logs";
  options.sandbox_user = runner::default_sandbox_user();
  if (cgroups) {
    options.backend.cgroups = cgroups;
    options.limits.memory = 512ULL << 20;
  }
  for (auto _ : state) {
    auto result = runner::run_pipeline(plan, options);
    if (!result.succeeded) std::abort();
  }
}

void BM_JuaniePipelineOneStep(benchmark::State& state) {
  one_step_pipelines(state, nullptr);
}
BENCHMARK(BM_JuaniePipelineOneStep)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same with each step in a cgroup of its own (memory and pids limits), as the daemon runs
// it: making, entering, watching and removing the cgroup, the next step's first process made
// ahead of time (steady state: the first iteration makes its own).
void BM_JuaniePipelineOneStepInCgroup(benchmark::State& state) {
  auto cgroups = runner::StepCgroups::open();
  if (!cgroups) {
    state.SkipWithError(cgroups.error().message.c_str());
    return;
  }
  one_step_pipelines(state, cgroups->get());
}
BENCHMARK(BM_JuaniePipelineOneStepInCgroup)->Unit(benchmark::kMillisecond)->UseRealTime();

// `podman run` of /bin/true written by hand with the isolation juanie's podman step asks for.
void BM_BarePodmanRun(benchmark::State& state) {
  const std::string image = juanie::test::ensure_busybox_image();
  std::vector<std::string> args{"podman",
                                "--runtime",
                                "runc",
                                "run",
                                "--rm",
                                "--init",
                                "--pull",
                                "never",
                                "--read-only",
                                "--cap-drop",
                                "all",
                                "--security-opt",
                                "no-new-privileges",
                                "--network",
                                "none",
                                "--pids-limit",
                                "512",
                                "--ulimit",
                                "nproc=512:512",
                                "--ulimit",
                                "nofile=4096:4096",
                                "--tmpfs",
                                "/tmp",
                                "--volume",
                                (scratch() / "ws").string() + ":/workspace:rw",
                                "--workdir",
                                "/workspace"};
  if (auto user = runner::default_sandbox_user()) {
    args.insert(args.end(),
                {"--user", std::to_string(user->first) + ":" + std::to_string(user->second)});
  }
  args.insert(args.end(), {image, "/bin/true"});
  for (auto _ : state) spawn_and_wait(args);
}
BENCHMARK(BM_BarePodmanRun)->Unit(benchmark::kMillisecond)->UseRealTime();

// juanie's podman step: container_run_argv (labels, limits, the echoed script) under the step
// supervisor.
void BM_JuaniePodmanStep(benchmark::State& state) {
  const std::string image = juanie::test::ensure_busybox_image();
  runner::SandboxSpec spec;
  spec.workspace = scratch() / "ws";
  spec.env = {{"CI", "true"}, {"PATH", "/usr/bin:/bin"}};
  spec.commands = {"true"};
  spec.run_as = runner::default_sandbox_user();
  runner::ContainerEngine engine;
  engine.runtime = "runc";
  engine.owner = runner::container_owner(scratch().string());
  int n = 0;
  for (auto _ : state) {
    runner::ProcessOptions options;
    options.argv =
        runner::container_run_argv(spec, engine, image, "juanie-bench-" + std::to_string(++n));
    options.env = runner::engine_environment();
    auto outcome = runner::run_process(options, [](std::string_view) {});
    if (!outcome || outcome->exit_code != 0) std::abort();
  }
}
BENCHMARK(BM_JuaniePodmanStep)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
