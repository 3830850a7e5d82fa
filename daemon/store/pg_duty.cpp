#include "daemon/store/pg_duty.hpp"

namespace juanie::daemon::store::pg {
namespace {

// The lock's key: "juaniedu" in ASCII, beside the migrations' "juanie".
constexpr std::int64_t kDutyLock = 0x6a75616e69656475;

}  // namespace

Result<std::unique_ptr<Duty>> Duty::open(const std::filesystem::path& url_file) {
  auto conn = Connection::connect_file(url_file);
  if (!conn) return std::unexpected(conn.error());
  return std::unique_ptr<Duty>(new Duty(std::move(*conn)));
}

Result<bool> Duty::check() {
  // Held: the session still has it (a reconnect would have lost it silently otherwise: the
  // query then runs on a new session, which holds nothing).
  auto rows = conn_.exec(
      held_ ? "SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
              "AND pid = pg_backend_pid() AND objid = ($1::bigint & 4294967295)::oid "
              "AND classid = ($1::bigint >> 32)::oid AND objsubid = 1"
            : "SELECT pg_try_advisory_lock($1::bigint)",
      {kDutyLock});
  if (!rows) {
    held_ = false;
    return std::unexpected(rows.error());
  }
  held_ = rows->int64(0, 0) == 1;
  return held_.load();
}

}  // namespace juanie::daemon::store::pg
