#include "daemon/cmd/approval_commands.hpp"

#include <charconv>
#include <iostream>
#include <memory>
#include <optional>

#include "daemon/approvals/approval_wiring.hpp"
#include "daemon/config/loader.hpp"
#include "daemon/store/deployments.hpp"
#include "daemon/store/pg_connection.hpp"

namespace juanie::daemon {
namespace {

struct Options {
  std::string config;
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
  std::unique_ptr<approvals::ApprovalWiring> approvals;  // wired as `serve` wires it
};

std::unique_ptr<CommandContext> load_context(const std::string& config_file) {
  auto configuration = config::load_configuration(config_file, config::credentials_directory());
  if (!configuration) {
    std::cerr << configuration.error().message << '\n';
    return nullptr;
  }
  auto context = std::make_unique<CommandContext>();
  context->configuration = std::move(*configuration);
  auto wiring = approvals::ApprovalWiring::load(context->configuration.daemon);
  if (!wiring) {
    std::cerr << wiring.error().message << '\n';
    return nullptr;
  }
  context->approvals = std::move(*wiring);
  return context;
}

// The store the configuration names, read-only: the node's SQLite file, or the PostgreSQL store
// several nodes share (a link minted on any node is honoured on every node).
Result<store::Database> open_store(const config::DaemonConfig& daemon) {
  if (daemon.store.backend != config::Store::Backend::kPostgresql) {
    return store::Database::open(daemon.data_dir / "juanie.db", true);
  }
  auto conn = store::pg::Connection::connect_file(daemon.secrets_dir.file(daemon.store.url_file));
  if (!conn) {
    // Named by its file: the URI may hold a password.
    return fail(conn.error().kind, "the PostgreSQL store (store.url_file " + daemon.store.url_file +
                                       "): " + conn.error().message);
  }
  return store::Database::open_postgresql(std::move(*conn), true, daemon.node.name);
}

}  // namespace

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
  auto db = open_store(context->configuration.daemon);
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
  auto link = context->approvals->flow().link(*db, it->second->config, id, o->positional[1]);
  if (!link) {
    std::cerr << "juanie approval-link: " << link.error().message << '\n';
    return 1;
  }
  std::cout << *link << '\n';
  return 0;
}

}  // namespace juanie::daemon
