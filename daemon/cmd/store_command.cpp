#include "daemon/cmd/store_command.hpp"

#include <iostream>

#include "daemon/config/loader.hpp"
#include "daemon/store/database.hpp"
#include "daemon/store/pg_connection.hpp"
#include "daemon/store/store_copy.hpp"
#include "daemon/support/data_dir_lock.hpp"

namespace juanie::daemon {
namespace {

constexpr const char* kUsage =
    "usage: juanie store migrate --config FILE --from sqlite:PATH --to postgresql\n"
    "  copies a stopped node's SQLite history into the PostgreSQL store FILE names\n"
    "  (store.backend: postgresql, store.url_file), which must hold no history yet\n";

struct Options {
  std::string config, from, to;
};

std::optional<Options> parse(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "migrate") return std::nullopt;
  Options o;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string* into = args[i] == "--config" ? &o.config
                        : args[i] == "--from" ? &o.from
                        : args[i] == "--to"   ? &o.to
                                              : nullptr;
    if (!into || i + 1 == args.size() || !into->empty()) return std::nullopt;
    *into = args[++i];
  }
  if (o.config.empty() || !o.from.starts_with("sqlite:") || o.from.size() == 7 ||
      o.to != "postgresql") {
    return std::nullopt;
  }
  return o;
}

}  // namespace

int run_store(const std::vector<std::string>& args) {
  const auto o = parse(args);
  if (!o) {
    std::cerr << kUsage;
    return 2;
  }
  auto configuration = config::load_configuration(o->config, config::credentials_directory());
  if (!configuration) {
    std::cerr << configuration.error().message << '\n';
    return 1;
  }
  const auto& daemon = configuration->daemon;
  if (daemon.store.backend != config::Store::Backend::kPostgresql) {
    std::cerr << "juanie store migrate: " << o->config
              << " does not name a PostgreSQL store (store: {backend: postgresql, url_file: "
                 "FILE}); nothing was changed\n";
    return 1;
  }
  const std::filesystem::path file = o->from.substr(7);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    std::cerr << "juanie store migrate: " << file.string()
              << " is not a SQLite store (no such file)\n";
    return 1;
  }
  // The node must be stopped: a daemon still writing to the file would take deliveries the
  // copy never sees, and run again what the copy hands to the cluster. Held to the end, so
  // none starts meanwhile.
  const DataDirLock stopped(file.parent_path() / "juanie.lock");
  if (!stopped.held()) {
    std::cerr << "juanie store migrate: juanie is running on " << file.parent_path().string()
              << stopped.holder() << ": stop it first; nothing was changed\n";
    return 1;
  }
  auto from = store::Database::open(file, true);
  if (!from) {
    std::cerr << "juanie store migrate: " << file.string() << ": " << from.error().message << '\n';
    return 1;
  }
  auto to = store::pg::Connection::connect_file(daemon.secrets_dir.file(daemon.store.url_file));
  if (!to) {
    // The URI may hold a password: the file is named, never its contents.
    std::cerr << "juanie store migrate: the PostgreSQL store (store.url_file "
              << daemon.store.url_file << "): " << to.error().message << '\n';
    return 1;
  }
  auto copied = store::copy_sqlite_to_postgresql(*from, *to, daemon.node.name);
  if (!copied) {
    std::cerr << "juanie store migrate: " << copied.error().message << '\n';
    return 1;
  }
  std::int64_t rows = 0;
  for (const auto& t : copied->tables) {
    std::cout << t.name << ": " << t.rows << '\n';
    rows += t.rows;
  }
  std::cout << "moved " << rows << " rows of " << copied->tables.size() << " tables (schema "
            << copied->version << ") from " << file.string() << " into PostgreSQL, with "
            << copied->step_logs << " step log(s) of " << copied->log_bytes << " bytes";
  if (copied->interrupted_runs > 0) {
    std::cout << "; " << copied->interrupted_runs << " run(s) that were running go back to the "
              << "queue when node " << daemon.node.name << " starts or its lease passes";
  }
  std::cout << '\n';
  return 0;
}

}  // namespace juanie::daemon
