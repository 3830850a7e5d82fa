#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

#include "daemon/store/pg_connection.hpp"

namespace juanie::daemon::store::pg {

// The work of the nodes sharing a store that must be done once, not by each of them: carrying
// out deployments that wait on someone (approved, triggered, resumed after a crash), watching
// rollouts, sending the notifications outbox. One node does it: the holder of a session-level
// advisory lock on its own connection. PostgreSQL ends the lock with the session, so when the
// holder dies (or loses its connection) another node's next check takes it over; nothing is
// elected by the nodes themselves. The outbox and the deployments are rows in the store, so
// whatever the old holder left undone the new one finds.
class Duty {
 public:
  static Result<std::unique_ptr<Duty>> open(const std::filesystem::path& url_file);

  // Takes the lock when it is free, or checks that the session holding it is still alive;
  // returns whether this node holds it now. From one thread (a periodic worker).
  Result<bool> check();
  // Whether the last check found this node holding it: from any thread.
  bool held() const { return held_.load(); }

 private:
  explicit Duty(Connection conn) : conn_(std::move(conn)) {}
  Connection conn_;
  std::atomic<bool> held_{false};
};

}  // namespace juanie::daemon::store::pg
