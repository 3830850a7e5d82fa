#include "daemon/approval_commands.hpp"

#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/approvals/signing_keys.hpp"
#include "daemon/clock.hpp"
#include "daemon/config/loader.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/writer.hpp"

namespace juanie::daemon {
namespace {

struct Options {
  std::string config;
  std::string as;
  std::optional<std::int64_t> deployment;
  std::vector<std::string> positional;
};

std::optional<Options> parse_options(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (a == "--config") {
      auto v = value();
      if (!v) return std::nullopt;
      o.config = *v;
    } else if (a == "--as") {
      auto v = value();
      if (!v) return std::nullopt;
      o.as = *v;
    } else if (a == "--deployment") {
      auto v = value();
      std::int64_t id = 0;
      if (!v) return std::nullopt;
      auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), id);
      if (ec != std::errc() || p != v->data() + v->size()) return std::nullopt;
      o.deployment = id;
    } else if (a.starts_with("--")) {
      return std::nullopt;
    } else {
      o.positional.push_back(a);
    }
  }
  if (o.config.empty()) return std::nullopt;
  return o;
}

// The configuration and the approval flow a command works with; the error already printed.
struct CommandContext {
  config::Configuration configuration;
  std::unique_ptr<notify::Notifier> notifier;
  std::unique_ptr<approvals::ApprovalFlow> flow;
};

std::unique_ptr<CommandContext> load_context(const std::string& config_file) {
  auto configuration = config::load_configuration(config_file, config::credentials_directory());
  if (!configuration) {
    std::cerr << configuration.error().message << '\n';
    return nullptr;
  }
  auto keys = approvals::load_signing_keys(configuration->daemon);
  if (!keys) {
    std::cerr << keys.error().message << '\n';
    return nullptr;
  }
  auto context = std::make_unique<CommandContext>();
  context->configuration = std::move(*configuration);
  // No wake-up: the running daemon polls the outbox, and its deployment loop the deployments.
  context->notifier = std::make_unique<notify::Notifier>(context->configuration.daemon, nullptr);
  context->flow = std::make_unique<approvals::ApprovalFlow>(context->configuration.daemon,
                                                            std::move(*keys), *context->notifier);
  return context;
}

std::string invoking_user() {
  for (const char* name : {"SUDO_USER", "USER", "LOGNAME"}) {
    if (const char* v = std::getenv(name); v && *v) return v;
  }
  if (const passwd* pw = getpwuid(geteuid())) return pw->pw_name;
  return "uid " + std::to_string(geteuid());
}

}  // namespace

int run_trigger(const std::vector<std::string>& args) {
  auto o = parse_options(args);
  if (!o || (o->deployment ? !o->positional.empty() : o->positional.size() != 2)) {
    std::cerr << "usage: juanie trigger --config FILE PROJECT REF [--as NAME]\n"
                 "       juanie trigger --config FILE --deployment ID [--as NAME]\n"
                 "Triggers the newest pending deployment of PROJECT from REF (a branch or ref).\n";
    return 2;
  }
  auto context = load_context(o->config);
  if (!context) return 1;
  const auto& daemon = context->configuration.daemon;
  const auto& projects = context->configuration.projects;
  const auto& flow = *context->flow;
  auto writer = store::Writer::open(daemon.data_dir / "juanie.db", 16);
  if (!writer) {
    std::cerr << writer.error().message << '\n';
    return 1;
  }
  const std::string who = o->as.empty() ? invoking_user() : o->as;
  SystemClock clock;
  std::string message;
  auto ok = store::write_and_wait(**writer, [&](store::Database& db) -> Result<void> {
    std::optional<store::DeploymentRecord> target;
    if (o->deployment) {
      auto d = store::find_deployment(db, *o->deployment);
      if (!d) return std::unexpected(d.error());
      if (!*d) return fail("no deployment " + std::to_string(*o->deployment));
      target = **d;
    } else {
      const std::string& project = o->positional[0];
      const std::string& ref = o->positional[1];
      auto list = store::list_deployments(db, project, 1000);
      if (!list) return std::unexpected(list.error());
      for (const auto& d : *list) {
        if (d.state != "pending") continue;
        auto run = store::find_run(db, d.run);
        if (!run) return std::unexpected(run.error());
        if (*run && ((*run)->branch == ref || (*run)->ref == ref)) {
          target = d;
          break;
        }
      }
      if (!target) {
        return fail("no pending deployment of " + project + " from " + ref +
                    " (juanie trigger releases a deployment a push recorded; see "
                    "GET /api/v1/deployments?project=" + project + ")");
      }
    }
    auto it = projects.find(target->project);
    if (it == projects.end()) {
      return fail("project " + target->project + " is not configured in " + daemon.projects_dir.string());
    }
    auto next = flow.trigger(db, it->second->config, target->id, who, clock.now());
    if (!next) return std::unexpected(next.error());
    auto after = store::find_deployment(db, target->id);
    if (!after) return std::unexpected(after.error());
    message = "deployment " + std::to_string(target->id) + " of " + target->image + ":" +
              target->tag + " to " + target->environment + " triggered by " + who + ": " +
              (*after)->state +
              (*next == approvals::Next::kCarryOut
                   ? " (the daemon commits it to the GitOps repository)"
                   : " until " + (*after)->expires_at.value_or("?") + "; approval requests are on their way");
    return {};
  });
  (*writer)->stop();
  if (!ok) {
    std::cerr << "juanie trigger: " << ok.error().message << '\n';
    return 1;
  }
  std::cout << message << '\n';
  return 0;
}

int run_approval_link(const std::vector<std::string>& args) {
  auto o = parse_options(args);
  std::int64_t id = 0;
  if (o && o->positional.size() == 2) {
    const auto& text = o->positional[0];
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || p != text.data() + text.size()) o.reset();
  }
  if (!o || o->positional.size() != 2 || o->deployment) {
    std::cerr << "usage: juanie approval-link --config FILE DEPLOYMENT APPROVER\n";
    return 2;
  }
  auto context = load_context(o->config);
  if (!context) return 1;
  auto db = store::Database::open(context->configuration.daemon.data_dir / "juanie.db", true);
  if (!db) {
    std::cerr << db.error().message << '\n';
    return 1;
  }
  auto d = store::find_deployment(*db, id);
  if (!d || !*d) {
    std::cerr << "juanie approval-link: no deployment " << id << '\n';
    return 1;
  }
  const auto& projects = context->configuration.projects;
  auto it = projects.find((*d)->project);
  if (it == projects.end()) {
    std::cerr << "juanie approval-link: project " << (*d)->project << " is not configured\n";
    return 1;
  }
  auto link = context->flow->link(*db, it->second->config, id, o->positional[1]);
  if (!link) {
    std::cerr << "juanie approval-link: " << link.error().message << '\n';
    return 1;
  }
  std::cout << *link << '\n';
  return 0;
}

}  // namespace juanie::daemon
