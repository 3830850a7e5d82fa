#pragma once

#include <string>
#include <vector>

namespace juanie::daemon {

// juanie store migrate --config FILE --from sqlite:PATH --to postgresql
// Copies a stopped single node's history (its SQLite file) into the PostgreSQL store FILE
// names (store.backend: postgresql, store.url_file), which must hold no history yet.
int run_store(const std::vector<std::string>& args);

}  // namespace juanie::daemon
