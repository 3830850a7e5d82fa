#include "daemon/store/step_logs.hpp"

#include "daemon/store/pg_connection.hpp"
#include "daemon/support/file_range.hpp"
#include "pipelines/encoding.hpp"

namespace juanie::daemon::store {
namespace {

// A chunk's bytes as encode(bytes, 'hex') gives them (whatever the session's bytea_output).
Result<std::string> bytea(const std::string& hex) {
  auto bytes = pipelines::hex_decode(hex);
  if (!bytes) return fail("a step log chunk came back as something other than hex");
  return std::move(*bytes);
}

}  // namespace

Result<std::string> read_step_log(Database& db, std::int64_t run, const StepRecord& step,
                                  std::uint64_t offset, std::size_t max) {
  if (db.backend() == Backend::kSqlite) {
    if (!step.log) return std::string();
    return read_file_range(*step.log, offset, max);
  }
  const auto from = static_cast<std::int64_t>(offset);
  auto rows = db.postgresql()->exec(
      // No chunk holds more than kLogChunkMax: the bound on `at` lets the key's index find
      // the first chunk rather than scan from the log's start.
      "SELECT at, encode(bytes, 'hex') FROM step_log_chunks WHERE run_id = $1 "
      "AND step_index = $2 AND at > $3 - $5 AND at + length(bytes) > $3 AND at < $3 + $4 "
      "ORDER BY at",
      {pg::Param::bigint(run), pg::Param::bigint(step.index), pg::Param::bigint(from),
       pg::Param::bigint(static_cast<std::int64_t>(max)),
       pg::Param::bigint(static_cast<std::int64_t>(kLogChunkMax))});
  if (!rows) return std::unexpected(rows.error());
  std::string out;
  for (int i = 0; i < rows->size() && out.size() < max; ++i) {
    const std::uint64_t at = static_cast<std::uint64_t>(rows->int64(i, 0));
    auto bytes = bytea(rows->text(i, 1));
    if (!bytes) return std::unexpected(bytes.error());
    const std::uint64_t want = offset + out.size();
    if (at > want) break;  // a gap: never written so (chunks follow each other)
    const auto skip = static_cast<std::size_t>(want - at);
    if (skip >= bytes->size()) continue;
    out.append(*bytes, skip, max - out.size());
  }
  return out;
}

Result<std::uint64_t> step_log_size(Database& db, std::int64_t run, const StepRecord& step) {
  if (db.backend() == Backend::kSqlite) {
    if (!step.log) return std::uint64_t{0};
    std::error_code ec;
    const auto size = std::filesystem::file_size(*step.log, ec);
    return ec ? std::uint64_t{0} : static_cast<std::uint64_t>(size);
  }
  auto rows = db.postgresql()->exec(
      // Each chunk is stored where the last one ended (runs/log_shipper.hpp): the last ends
      // the log. Backwards along the key's index, one row.
      "SELECT coalesce((SELECT at + length(bytes) FROM step_log_chunks WHERE run_id = $1 "
      "AND step_index = $2 ORDER BY at DESC LIMIT 1), 0)",
      {pg::Param::bigint(run), pg::Param::bigint(step.index)});
  if (!rows) return std::unexpected(rows.error());
  return static_cast<std::uint64_t>(rows->int64(0, 0));
}

Result<bool> append_step_log(Database& db, std::int64_t run, int step, std::uint64_t at,
                             std::string_view bytes) {
  if (db.backend() != Backend::kPostgresql) {
    return fail(ErrorKind::kInvalid, "step logs are stored as chunks only on PostgreSQL");
  }
  if (bytes.size() > kLogChunkMax) {
    return fail(ErrorKind::kInvalid, "a step log chunk of " + std::to_string(bytes.size()) +
                                         " bytes is over the " + std::to_string(kLogChunkMax));
  }
  // FOR SHARE keeps the run's row, and so its holder, as it is until the commit.
  auto rows = db.postgresql()->exec(
      "INSERT INTO step_log_chunks (run_id, step_index, at, bytes) "
      "SELECT id, $2, $3, decode($4, 'hex') FROM runs "
      "WHERE id = $1 AND state = 'running' AND node = $5 FOR SHARE "
      // Each chunk goes where the stored log ends (runs/log_shipper.hpp): an offset already
      // stored means a second writer of the log, whose bytes are not taken.
      "ON CONFLICT (run_id, step_index, at) DO NOTHING",
      {pg::Param::bigint(run), pg::Param::bigint(step),
       pg::Param::bigint(static_cast<std::int64_t>(at)), pipelines::hex_encode(bytes), db.node()});
  if (!rows) return std::unexpected(rows.error());
  if (rows->affected() == 0) {
    // Not this node's run (false), or the offset is taken.
    auto held = db.postgresql()->exec(
        "SELECT 1 FROM runs WHERE id = $1 AND state = 'running' AND node = $2",
        {pg::Param::bigint(run), db.node()});
    if (!held) return std::unexpected(held.error());
    if (held->empty()) return false;
    return fail(ErrorKind::kConflict, "step " + std::to_string(step) + " of run " +
                                          std::to_string(run) + " already has a chunk at " +
                                          std::to_string(at) + ": a second writer of its log");
  }
  if (auto ok = notify_run_log(db, run); !ok) return std::unexpected(ok.error());
  return true;
}

Result<void> notify_run_log(Database& db, std::int64_t run) {
  if (db.backend() != Backend::kPostgresql) return {};
  auto ok =
      db.postgresql()->exec("SELECT pg_notify($1, $2)", {kRunLogChannel, std::to_string(run)});
  if (!ok) return std::unexpected(ok.error());
  return {};
}

}  // namespace juanie::daemon::store
