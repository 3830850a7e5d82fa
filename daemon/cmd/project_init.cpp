#include "daemon/cmd/project_init.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "daemon/config/loader.hpp"
#include "daemon/config/project_config.hpp"
#include "pipelines/gitops_skeleton.hpp"
#include "runner/git_checkout.hpp"
#include "runner/gitops_bootstrap.hpp"

namespace juanie::daemon {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: juanie project init NAME --image REGISTRY/NAME --gitops-url URL --hooks-url URL\n"
    "         [--branch main] [--repo-url URL --forge github|gitlab|gitea]\n"
    "         [--out DIR | --push [--token-file FILE]] [--projects-dir DIR] [--app-dir DIR]\n"
    "  --out DIR        write the GitOps repository's files into DIR (empty or new)\n"
    "  --push           make them the first commit of the (empty) repository at --gitops-url\n"
    "  --projects-dir   write DIR/NAME.yaml, the project file (never overwritten)\n"
    "  --app-dir        add a starter .juanie.yml and Dockerfile where missing\n";

Result<void> write_new(const fs::path& file, const std::string& text) {
  std::error_code ec;
  if (fs::exists(file, ec)) return fail(file.string() + " exists: left as it is");
  fs::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out) return fail("cannot write " + file.string());
  return {};
}

}  // namespace

int run_project_init(const std::vector<std::string>& args) {
  if (args.empty() || args[0].starts_with("--")) {
    std::cerr << kUsage;
    return 2;
  }
  pipelines::SkeletonSpec spec;
  spec.project = args[0];
  if (!config::is_project_name(spec.project)) {
    std::cerr << "juanie project init: \"" << spec.project
              << "\" must be lowercase letters, digits, '.', '_' or '-'\n";
    return 2;
  }
  std::map<std::string, std::string> opt;
  bool push = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--push") {
      push = true;
    } else if (args[i].starts_with("--") && i + 1 < args.size()) {
      opt[args[i].substr(2)] = args[i + 1];
      ++i;
    } else {
      std::cerr << "juanie project init: unexpected \"" << args[i] << "\"\n" << kUsage;
      return 2;
    }
  }
  for (const auto& [key, value] : opt) {
    static const std::string known[] = {"image",    "gitops-url", "hooks-url", "branch",
                                        "repo-url", "forge",      "out",       "projects-dir",
                                        "app-dir",  "token-file", "port"};
    if (std::find(std::begin(known), std::end(known), key) == std::end(known)) {
      std::cerr << "juanie project init: unknown option --" << key << "\n" << kUsage;
      return 2;
    }
  }
  for (const char* required : {"image", "gitops-url", "hooks-url"}) {
    if (!opt.contains(required)) {
      std::cerr << "juanie project init: --" << required << " is required\n" << kUsage;
      return 2;
    }
  }
  if (push == opt.contains("out")) {
    std::cerr << "juanie project init: give exactly one of --out DIR or --push\n" << kUsage;
    return 2;
  }
  spec.image = opt["image"];
  spec.gitops_url = opt["gitops-url"];
  spec.hooks_url = opt["hooks-url"];
  while (spec.hooks_url.ends_with('/')) spec.hooks_url.pop_back();
  if (opt.contains("branch")) spec.branch = opt["branch"];
  if (opt.contains("port")) spec.port = std::atoi(opt["port"].c_str());
  const auto files = pipelines::gitops_skeleton(spec);

  if (push) {
    runner::GitLibrary git;
    runner::GitCredentials credentials;
    if (opt.contains("token-file")) {
      auto token = config::read_text_file(opt["token-file"]);
      if (!token) {
        std::cerr << "juanie project init: " << token.error().message << '\n';
        return 1;
      }
      credentials.token = *token;
      while (!credentials.token.empty() &&
             std::isspace(static_cast<unsigned char>(credentials.token.back()))) {
        credentials.token.pop_back();
      }
    }
    auto commit = runner::push_initial_commit(spec.gitops_url, spec.branch, files, credentials,
                                              "juanie", "juanie@localhost");
    if (!commit) {
      std::cerr << "juanie project init: " << commit.error().message << '\n';
      return 1;
    }
    std::cout << "pushed " << files.size() << " files to " << spec.gitops_url << " " << spec.branch
              << " as " << commit->substr(0, 12) << '\n';
  } else {
    if (auto ok = runner::write_files(opt["out"], files); !ok) {
      std::cerr << "juanie project init: " << ok.error().message << '\n';
      return 1;
    }
    std::cout << "wrote " << files.size() << " files to " << opt["out"] << '\n';
  }
  if (opt.contains("projects-dir")) {
    const fs::path file = fs::path(opt["projects-dir"]) / (spec.project + ".yaml");
    const std::string text = pipelines::project_file(
        spec,
        opt.contains("repo-url") ? opt["repo-url"]
                                 : "https://git.example.com/" + spec.project + ".git",
        opt.contains("forge") ? opt["forge"] : "github");
    if (auto ok = write_new(file, text); !ok) {
      std::cerr << "juanie project init: " << ok.error().message << '\n';
      return 1;
    }
    std::cout << "wrote " << file.string() << " (add its secret files, then juanie validate it)\n";
  }
  if (opt.contains("app-dir")) {
    for (const auto& f : pipelines::application_starter(spec)) {
      const fs::path file = fs::path(opt["app-dir"]) / f.path;
      if (auto ok = write_new(file, f.text); ok) {
        std::cout << "wrote " << file.string() << '\n';
      } else {
        std::cout << ok.error().message << '\n';
      }
    }
  }
  std::cout << "next: kubectl apply -k flux/ from the GitOps repository, with Flux installed\n";
  return 0;
}

}  // namespace juanie::daemon
