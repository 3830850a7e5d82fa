#include "daemon/cmd/exec_command.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "daemon/config/daemon_config.hpp"
#include "daemon/config/loader.hpp"
#include "daemon/runs/run_setup.hpp"
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
  fs::path config;      // the daemon's file: its sandbox section and limits
  std::string project;  // with config: that project's branch rules, name and pipeline path
  fs::path secrets;     // NAME=VALUE lines standing in for the project's secret files
  bool keep = false;
};

constexpr const char* kUsage =
    "usage: juanie exec [DIR] [--branch B] [--backend bwrap|podman|docker]\n"
    "                   [--config FILE [--project NAME]] [--secrets FILE] [--keep]\n";

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
    } else if (a == "--project" && i + 1 < args.size()) {
      out.project = args[++i];
    } else if (a == "--secrets" && i + 1 < args.size()) {
      out.secrets = args[++i];
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
  if (!out.project.empty() && out.config.empty()) {
    std::cerr
        << "juanie exec: --project needs --config (the daemon's file, which names projects_dir)\n";
    return std::nullopt;
  }
  return out;
}

// The project file in the daemon's projects_dir whose name is `name` (parsed only: its secret
// files need not be readable here).
Result<config::ProjectConfig> find_project(const config::DaemonConfig& daemon,
                                           const std::string& name) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(daemon.projects_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto ext = it->path().extension();
    if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file()) files.push_back(it->path());
  }
  if (ec)
    return fail(daemon.source.string() + ": projects_dir: cannot list " +
                daemon.projects_dir.string());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto text = config::read_text_file(file);
    if (!text) return std::unexpected(text.error());
    auto project = config::parse_project_config(*text, file);
    if (!project) return std::unexpected(project.error());
    if (project->name == name) return *project;
  }
  return fail(ErrorKind::kNotFound, "no project " + name + " in " + daemon.projects_dir.string());
}

// NAME=VALUE a line (blank lines and # comments skipped): what the daemon would read from the
// project's secret files. A line without "=" or a repeated name is an error naming file:line.
Result<std::map<std::string, std::string>> read_secrets_file(const fs::path& file) {
  auto text = config::read_text_file(file);
  if (!text) return std::unexpected(text.error());
  std::map<std::string, std::string> out;
  std::size_t line_no = 0, start = 0;
  while (start < text->size()) {
    auto end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::string line = text->substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    const auto eq = line.find('=');
    const std::string where = file.string() + ":" + std::to_string(line_no) + ": ";
    if (eq == std::string::npos || eq == 0)
      return fail(ErrorKind::kInvalid, where + "expected NAME=VALUE");
    const std::string name = line.substr(0, eq);
    if (!out.emplace(name, line.substr(eq + 1)).second) {
      return fail(ErrorKind::kInvalid, where + name + " is given twice");
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
  // The daemon's sandbox settings (runtime, default image, root filesystems) and limits when
  // given.
  config::DaemonConfig settings;
  std::optional<config::ProjectConfig> project;
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
    if (!parsed->project.empty()) {
      auto found = find_project(settings, parsed->project);
      if (!found) {
        std::cerr << "juanie exec: " << found.error().message << '\n';
        return 1;
      }
      project = std::move(*found);
    }
  }
  std::map<std::string, std::string> secrets;
  if (!parsed->secrets.empty()) {
    auto read = read_secrets_file(parsed->secrets);
    if (!read) {
      std::cerr << "juanie exec: " << read.error().message << '\n';
      return 1;
    }
    for (auto& [name, value] : *read) {
      // The daemon gives a step only the secrets its project declares.
      if (project && !project->secrets.contains(name)) {
        std::cerr << "juanie exec: warning: " << name << " is not among project " << project->name
                  << "'s secrets: the daemon would not give it; left out\n";
        continue;
      }
      secrets.emplace(name, std::move(value));
    }
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
    const std::string pipeline_path = project ? project->pipeline : ".juanie.yml";
    const std::string shown = (parsed->dir / pipeline_path).lexically_normal().string();
    auto text = runner::read_file_at_commit(parsed->dir, head->sha, pipeline_path);
    if (!text) {
      std::cerr << "juanie exec: " << text.error().message << '\n';
      return;
    }
    auto pipeline = pipelines::parse_pipeline(*text, shown);
    if (!pipeline) {
      std::cerr << pipeline.error().message << '\n';
      return;
    }
    // The project's branch rules (the defaults without one) pick the environment, as the
    // daemon's intake does for a push; JUANIE_RUN is 0, there being no run record.
    std::error_code ignored;
    const std::string name =
        project ? project->name : fs::canonical(parsed->dir, ignored).filename().string();
    const auto rules = project ? project->rules : pipelines::default_rules();
    std::optional<std::string> environment;
    if (const auto* rule = pipelines::match_rule(rules, {pipelines::RefKind::kBranch, branch})) {
      environment = rule->environment;
    }
    const auto context = run_context(name, "refs/heads/" + branch, "branch", branch, head->sha,
                                     environment, "push", 0);
    auto plan = pipelines::plan(*pipeline, context);
    std::cout << "juanie exec: " << context.project << " " << branch << " @ "
              << head->sha.substr(0, 12) << ", " << plan.size() << " step(s), sandbox "
              << settings.sandbox.backend << ", environment " << environment.value_or("none")
              << "\n"
              << std::flush;
    if (!secrets.empty() && !environment) {
      std::cout << "juanie exec: " << branch
                << " deploys nowhere: like the daemon, its steps get no secrets\n";
    }

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
    apply_daemon_limits(settings, environment.has_value(), options);
    options.secrets = std::move(secrets);
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
      if (r.state == pipelines::StepState::kRunning) {
        std::cout << "▶ " << r.name << '\n';
      } else if (r.state == pipelines::StepState::kSucceeded) {
        std::cout << "✓ " << r.name << " (" << seconds(r.duration) << ")\n";
      } else if (r.state == pipelines::StepState::kSkipped) {
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
