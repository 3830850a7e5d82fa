#pragma once

#include "daemon/store/database.hpp"

namespace juanie::daemon::store {

// The schema version this build writes; a database newer than this is refused.
int schema_version();

// WAL, full fsync at commit, foreign keys: settings of the one writer connection.
Result<void> configure_writer(Database& db);

// Applies the numbered migrations above the database's `PRAGMA user_version`, each in its own
// transaction, so a crash leaves the database at a whole version. `target`: stop there (a
// test builds an older database that way, to upgrade it).
Result<void> migrate(Database& db, int target);
inline Result<void> migrate(Database& db) {
  return migrate(db, schema_version());
}

}  // namespace juanie::daemon::store
