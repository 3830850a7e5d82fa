#include "daemon/cmd/exec_command.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "daemon/config/daemon_config.hpp"
#include "daemon/config/loader.hpp"
#include "daemon/runs/sandbox_backend.hpp"
#include "pipelines/branch_strategy.hpp"
#include "pipelines/pipeline_file.hpp"
#include "pipelines/plan.hpp"
#include "runner/git_checkout.hpp"
#include "runner/pipeline_run.hpp"
#include "runner/tree_file.hpp"

namespace juanie::daemon {
namespace {

namespace fs = std::filesystem;

struct ExecArgs {
  fs::path dir = ".";
  std::string branch;
  std::string backend;  // empty: the config's, or bwrap
  fs::path config;      // the daemon's file, for its sandbox section
  bool keep = false;
};

constexpr const char* kUsage =
    "usage: juanie exec [DIR] [--branch B] [--backend bwrap|podman|docker] [--config FILE] "
    "[--keep]\n";

std::optional<ExecArgs> parse_args(const std::vector<std::string>& args) {
  ExecArgs out;
  bool dir_seen = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--branch" && i + 1 < args.size()) {
      out.branch = args[++i];
    } else if (a == "--backend" && i + 1 < args.size()) {
      out.backend = args[++i];
      if (out.backend != "bwrap" && out.backend != "podman" && out.backend != "docker") {
        std::cerr << "juanie exec: --backend must be bwrap, podman or docker\n" << kUsage;
        return std::nullopt;
      }
    } else if (a == "--config" && i + 1 < args.size()) {
      out.config = args[++i];
    } else if (a == "--keep") {
      out.keep = true;
    } else if (!a.starts_with("--") && !dir_seen) {
      out.dir = a;
      dir_seen = true;
    } else {
      std::cerr << kUsage;
      return std::nullopt;
    }
  }
  return out;
}

std::string seconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace

int run_exec(const std::vector<std::string>& args) {
  auto parsed = parse_args(args);
  if (!parsed) return 2;
  // The daemon's sandbox settings (runtime, default image, root filesystems) when given.
  config::DaemonConfig settings;
  if (!parsed->config.empty()) {
    auto text = config::read_text_file(parsed->config);
    if (!text) {
      std::cerr << "juanie exec: cannot read " << parsed->config.string() << '\n';
      return 1;
    }
    auto parsed_config = config::parse_daemon_config(*text, parsed->config, "/");
    if (!parsed_config) {
      std::cerr << parsed_config.error().message << '\n';
      return 1;
    }
    settings = std::move(*parsed_config);
  }
  if (!parsed->backend.empty() && parsed->backend != settings.sandbox.backend) {
    settings.sandbox.backend = parsed->backend;
    settings.sandbox.engine = parsed->backend == "bwrap" ? "" : parsed->backend;
  }
  runner::GitLibrary git;
  auto head = runner::read_head(parsed->dir);
  if (!head) {
    std::cerr << "juanie exec: " << head.error().message << '\n';
    return 1;
  }
  const std::string branch = !parsed->branch.empty() ? parsed->branch
                             : !head->branch.empty() ? head->branch
                                                     : "HEAD";
  char tmpl[] = "/tmp/juanie-exec.XXXXXX";
  if (!::mkdtemp(tmpl)) {
    std::perror("juanie exec: mkdtemp");
    return 1;
  }
  const fs::path home = tmpl;
  // The sandbox user must be able to reach the workspace; the logs stay private.
  fs::permissions(home, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  const fs::path workspace = home / "workspace";
  int status = 1;
  [&] {
    if (auto ok = runner::checkout_commit(parsed->dir, head->sha, workspace); !ok) {
      std::cerr << "juanie exec: " << ok.error().message << '\n';
      return;
    }
    const std::string shown = (parsed->dir / ".juanie.yml").lexically_normal().string();
    auto text = runner::read_file_at_commit(parsed->dir, head->sha, ".juanie.yml");
    if (!text) {
      std::cerr << "juanie exec: " << text.error().message << '\n';
      return;
    }
    auto pipeline = pipelines::parse_pipeline(*text, shown);
    if (!pipeline) {
      std::cerr << pipeline.error().message << '\n';
      return;
    }
    pipelines::RunContext context;
    std::error_code ignored;
    context.project = fs::canonical(parsed->dir, ignored).filename().string();
    context.ref = "refs/heads/" + branch;
    context.ref_kind = "branch";
    context.branch = branch;
    context.sha = head->sha;
    const auto rules = pipelines::default_rules();
    if (const auto* rule = pipelines::match_rule(rules, {pipelines::RefKind::kBranch, branch})) {
      context.environment = rule->environment;
    }
    auto plan = pipelines::plan(*pipeline, context);
    std::cout << "juanie exec: " << context.project << " " << branch << " @ "
              << head->sha.substr(0, 12) << ", " << plan.size() << " step(s), sandbox "
              << settings.sandbox.backend << "\n"
              << std::flush;

    // Ctrl-C cancels the running step (its whole process tree) and skips the rest.
    std::atomic<bool> cancel{false};
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    std::atomic<bool> finished{false};
    std::thread watcher([&] {
      timespec tick{0, 100'000'000};
      while (!finished.load()) {
        if (sigtimedwait(&stop, nullptr, &tick) > 0) cancel = true;
      }
    });

    runner::PipelineRunOptions options;
    settings.data_dir = home;
    options.backend = sandbox_backend(settings);
    options.limits = step_limits(settings);
    // The user's own code on the user's own machine: a limit the host cannot enforce is said,
    // not a reason to refuse.
    std::vector<std::string> notes;
    auto cgroups = open_step_cgroups(settings, notes);
    if (!cgroups) {
      std::cerr << "juanie exec: warning: " << cgroups.error().message << '\n';
      options.backend.require_memory_cgroup = false;
    } else {
      options.backend.cgroups = cgroups->get();
    }
    options.workspace = workspace;
    options.logs_dir = home / "logs";
    options.cancel = &cancel;
    options.sandbox_user = runner::default_sandbox_user();
    options.on_step = [](const runner::StepReport& r) {
      if (r.state == "running") {
        std::cout << "▶ " << r.name << '\n';
      } else if (r.state == "succeeded") {
        std::cout << "✓ " << r.name << " (" << seconds(r.duration) << ")\n";
      } else if (r.state == "skipped") {
        std::cout << "- " << r.name << " skipped: " << r.reason << '\n';
      } else {
        std::cout << "✗ " << r.name << " " << r.state << ": " << r.reason << " ("
                  << seconds(r.duration) << ")\n";
      }
      std::cout << std::flush;
    };
    options.on_output = [](std::string_view, std::string_view bytes) {
      std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      std::cout.flush();
    };
    auto result = runner::run_pipeline(plan, options);
    finished = true;
    watcher.join();
    status = result.succeeded ? 0 : (result.cancelled ? 130 : 1);
    std::cout << (result.succeeded   ? "pipeline succeeded\n"
                  : result.cancelled ? "pipeline cancelled\n"
                                     : "pipeline failed\n");
  }();
  if (parsed->keep) {
    std::cout << "workspace and logs kept in " << home.string() << '\n';
  } else {
    std::error_code ec;
    fs::remove_all(home, ec);
  }
  return status;
}

}  // namespace juanie::daemon
