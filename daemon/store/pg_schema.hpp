#pragma once

#include "daemon/store/pg_connection.hpp"

// The schema of the shared store on PostgreSQL, versioned by the same numbers as SQLite's.
//
// How PostgreSQL gets SQLite's schema: not by a translation of each of SQLite's migrations 1 to
// 16, but by one consolidated schema equal to SQLite's at version 16, recorded as version 16;
// every migration after 16 is written for both backends, under the same number. Why: no
// PostgreSQL database predates 16, so a translated 1..16 would only ever run in sequence on an
// empty database, and half of them are SQLite's workarounds with nothing to translate to (12
// copies a table because SQLite cannot alter a CHECK; 15 and 16 mend rows no PostgreSQL
// database has). An existing single-node history reaches PostgreSQL by `juanie store migrate`
// (a copy at the same version), not by replaying migrations. A test holds the two schemas
// equal: the same tables with the same columns, and the same version.
//
// Types are PostgreSQL's where SQLite's are loose: ids are bigint identities (BY DEFAULT, so a
// copied history keeps its ids), integers bigint, JSON payloads text as SQLite writes them.
// Timestamps stay RFC 3339 text as the store writes them, except a lease's end, which is the
// database's own clock (timestamptz): nodes' clocks may disagree, the database's is one.
namespace juanie::daemon::store::pg {

// The version this build writes (equal to SQLite's schema_version()).
int schema_version();

struct Migrated {
  int from = 0;     // the version found
  int to = 0;       // the version left
  int applied = 0;  // migrations this call applied (the consolidated schema counts one)
};

// Brings the database to `target` (at most schema_version()). Several nodes may start at
// once: each holds pg_advisory_lock on the migrations' key while it reads the version and
// applies what is missing, so the first applies them and the others find them done. Each
// migration is one transaction (PostgreSQL's DDL is transactional): a crash leaves a whole
// version. A database at a version newer than this build is refused and left as it is.
Result<Migrated> migrate(Connection& conn, int target);
inline Result<Migrated> migrate(Connection& conn) {
  return migrate(conn, schema_version());
}

// The version recorded in the database (0: none yet).
Result<int> stored_version(Connection& conn);

}  // namespace juanie::daemon::store::pg
