#include "daemon/cmd/cli.hpp"

#include <cstdlib>
#include <iostream>

#include "daemon/cmd/approval_commands.hpp"
#include "daemon/cmd/demo.hpp"
#include "daemon/cmd/exec_command.hpp"
#include "daemon/cmd/project_init.hpp"
#include "daemon/cmd/rollback_command.hpp"
#include "daemon/cmd/serve.hpp"
#include "daemon/cmd/store_command.hpp"
#include "daemon/cmd/trigger_command.hpp"
#include "daemon/cmd/validate.hpp"
#include "daemon/config/loader.hpp"

namespace juanie::daemon {
namespace {

constexpr const char* kUsage = R"(usage: juanie COMMAND [ARGS]

commands:
  serve --config FILE     run the daemon in the foreground (logs to stderr)
  validate FILE...        check daemon, project and pipeline files; errors name file:line
  exec [DIR] [--branch B] run DIR's committed pipeline in the sandbox, as the daemon would
  trigger --config FILE PROJECT REF
                          ask the running daemon's API to release the pending deployment of
                          REF (main → prod waits for this), or with none to start a run of
                          REF's head; --deployment ID, --url URL, --token-file FILE
  rollback --config FILE PROJECT ENV [--to TAG|DEPLOYMENT]
                          ask the running daemon's API to roll ENV back by a new GitOps
                          commit of its previous good image (or of TAG / DEPLOYMENT)
  approval-link --config FILE DEPLOYMENT APPROVER
                          print APPROVER's signed approve/reject link for a waiting deployment
  project init NAME ...   lay out a new project's GitOps repository, Flux objects and project
                          file (juanie project init --help)
  store migrate --config FILE --from sqlite:PATH --to postgresql
                          copy a stopped node's history into the PostgreSQL store FILE names
  demo                    start a daemon on a temporary home and send it signed pushes
  help                    this text
)";

int validate(const std::vector<std::string>& files) {
  if (files.empty()) {
    std::cerr << "juanie validate: name at least one file\n";
    return 2;
  }
  int status = 0;
  for (const auto& file : files) {
    auto result = validate_file(file, config::credentials_directory());
    if (result) {
      std::cout << file << ": ok: " << *result << '\n';
    } else {
      std::cerr << result.error().message << '\n';
      status = 1;
    }
  }
  return status;
}

}  // namespace

int run_cli(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "serve") {
    if (rest.size() == 2 && rest[0] == "--config") return serve(rest[1]);
    if (rest.size() == 1 && rest[0].starts_with("--config=")) return serve(rest[0].substr(9));
    std::cerr << "usage: juanie serve --config FILE\n";
    return 2;
  }
  if (command == "validate") return validate(rest);
  if (command == "demo") return run_demo(rest);
  if (command == "exec") return run_exec(rest);
  if (command == "trigger") return run_trigger(rest);
  if (command == "rollback") return run_rollback(rest);
  if (command == "approval-link") return run_approval_link(rest);
  if (command == "store") return run_store(rest);
  if (command == "project" && !rest.empty() && rest[0] == "init") {
    return run_project_init(std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  std::cerr << "juanie: unknown command \"" << command << "\"\n" << kUsage;
  return 2;
}

}  // namespace juanie::daemon
