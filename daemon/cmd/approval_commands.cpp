#include "daemon/cmd/approval_commands.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/approvals/signing_keys.hpp"
#include "daemon/support/crypto.hpp"
#include "daemon/runs/git_access.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/config/loader.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/writer.hpp"
#include "pipelines/branch_strategy.hpp"
#include "pipelines/ref.hpp"
#include "runner/git_checkout.hpp"
#include "runner/git_mirror.hpp"

namespace juanie::daemon {
namespace {

struct Options {
  std::string config;
  std::string as;
  std::optional<std::int64_t> deployment;
  std::vector<std::string> positional;
};

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return id;
}

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
      o.deployment = v ? parse_id(*v) : std::nullopt;
      if (!o.deployment) return std::nullopt;
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

// A run of REF's current head, started by `who`: fetched into the daemon's mirror (shared
// with the daemon, under its lock), resolved, queued for the daemon's scheduler.
Result<std::string> queue_manual_run(const config::Configuration& configuration,
                                     store::Writer& writer, const std::string& project_name,
                                     const std::string& ref_text, const std::string& who,
                                     const Clock& clock) {
  const auto it = configuration.projects.find(project_name);
  if (it == configuration.projects.end()) {
    return fail("no project " + project_name + " in " + configuration.daemon.projects_dir.string());
  }
  const auto& project = it->second->config;
  runner::GitLibrary git;
  runner::GitMirrors mirrors(configuration.daemon.data_dir / "mirrors");
  auto credentials = read_git_credentials(configuration.daemon.secrets_dir, project.repo_access);
  if (!credentials) return std::unexpected(credentials.error());
  if (auto fetched = mirrors.update(project.repo_url, *credentials); !fetched) {
    return std::unexpected(fetched.error());
  }
  std::optional<pipelines::Ref> ref;
  std::string full_ref, sha;
  for (const std::string& candidate :
       ref_text.starts_with("refs/") ? std::vector<std::string>{ref_text}
                                     : std::vector<std::string>{"refs/heads/" + ref_text, "refs/tags/" + ref_text}) {
    auto resolved = mirrors.resolve(project.repo_url, candidate);
    if (resolved) {
      full_ref = candidate;
      sha = *resolved;
      ref = pipelines::parse_ref(candidate);
      break;
    }
  }
  if (!ref) return fail(project.repo_url + " has no branch or tag " + ref_text);
  // No push names the commit's authors here: the commit itself does.
  auto addresses = mirrors.commit_addresses(project.repo_url, sha);
  if (!addresses) return std::unexpected(addresses.error());
  store::RunRequest run;
  run.project = project.name;
  run.forge = "cli";
  run.delivery = "manual-" + random_hex(8);
  run.event = "manual";
  run.ref = full_ref;
  run.ref_kind = ref->kind == pipelines::RefKind::kTag ? "tag" : "branch";
  run.branch = ref->name;
  run.sha = sha;
  if (const auto* rule = pipelines::match_rule(project.rules, *ref)) {
    run.environment = rule->environment;
    run.deploy_trigger = std::string(pipelines::to_string(rule->trigger));
  }
  run.trigger = "manual";
  run.pusher = who;
  for (auto& a : *addresses) {
    for (char& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(run.author_emails.begin(), run.author_emails.end(), a) == run.author_emails.end()) {
      run.author_emails.push_back(a);
    }
  }
  run.commit_message = "started by " + who + " with juanie trigger";
  store::IntakeOutcome outcome;
  auto ok = store::write_and_wait(writer, [&](store::Database& db) -> Result<void> {
    auto r = store::record_push(db, run, rfc3339(clock.now()));
    if (!r) return std::unexpected(r.error());
    outcome = *r;
    return {};
  });
  if (!ok) return std::unexpected(ok.error());
  return std::string(outcome.created ? "queued" : "already queued or running:") + " run " +
         std::to_string(outcome.run_id) + " of " + full_ref + " at " + sha.substr(0, 12) +
         (outcome.environment ? " for " + *outcome.environment +
                                    "; its deployment counts as triggered by " + who
                              : "; it deploys nowhere");
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
                 "Triggers the newest pending deployment of PROJECT from REF (a branch, tag or\n"
                 "full ref); with none pending, queues a run of REF's head whose deployment\n"
                 "counts as triggered.\n";
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
  bool none_pending = false;
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
        none_pending = true;
        return {};
      }
    }
    auto it = projects.find(target->project);
    if (it == projects.end()) {
      return fail("project " + target->project + " is not configured in " + daemon.projects_dir.string());
    }
    auto next = flow.trigger(db, it->second->config, target->id, who, who, clock.now());
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
  if (ok && none_pending) {
    auto queued = queue_manual_run(context->configuration, **writer, o->positional[0],
                                   o->positional[1], who, clock);
    if (queued) message = *queued;
    ok = queued ? Result<void>{} : std::unexpected(queued.error());
  }
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
  const auto parsed = o && o->positional.size() == 2 ? parse_id(o->positional[0]) : std::nullopt;
  if (!parsed || o->deployment) {
    std::cerr << "usage: juanie approval-link --config FILE DEPLOYMENT APPROVER\n";
    return 2;
  }
  const std::int64_t id = *parsed;
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
