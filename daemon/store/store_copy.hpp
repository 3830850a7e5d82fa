#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/store/database.hpp"
#include "daemon/store/pg_connection.hpp"

// `juanie store migrate`: a single node's history (its SQLite file) copied into the shared
// store of several nodes (PostgreSQL), as one transaction.
//
// Why a copy of rows and not a replay: the two schemas are equal at every version (a test holds
// them so), so each table is copied column by column, ids included — links, API paths and
// deliveries' dedupe stay what they were. Only the types SQLite keeps loosely are converted on
// the way in: the label lists SQLite keeps as JSON arrays become text[].
namespace juanie::daemon::store {

struct CopiedTable {
  std::string name;
  std::int64_t rows = 0;
};

struct CopySummary {
  int version = 0;                    // the schema version of both
  std::vector<CopiedTable> tables;    // in the order they were copied
  std::int64_t interrupted_runs = 0;  // running when the node stopped: handed to `node`
  std::int64_t step_logs = 0;         // log files copied into step_log_chunks
  std::uint64_t log_bytes = 0;        // their bytes
};

// Copies every table of `from` (a SQLite store at this build's schema version, read in one
// snapshot) into `to` (migrated to the same version first), which must hold no history: all or
// nothing, one transaction, the tables locked against nodes meanwhile. Runs the stopped node
// was running are left to `node` with a lease that has passed, so that the node (restarting
// under that name) or any other takes them back as after a crash, counting the attempt. Ids
// go on after the highest copied. Nodes' registrations are not copied (a node registers when
// it starts). The step logs the SQLite store names (files in the node's data_dir, unless
// retention.logs removed them) are copied into the shared store's chunks, where every node
// reads them.
Result<CopySummary> copy_sqlite_to_postgresql(Database& from, pg::Connection& to,
                                              const std::string& node);

}  // namespace juanie::daemon::store
