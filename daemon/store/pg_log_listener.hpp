#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "daemon/store/pg_connection.hpp"
#include "daemon/support/run_log_bell.hpp"

namespace juanie::daemon::store::pg {

// A node's one LISTEN connection on run_log (step_logs.hpp): every NOTIFY a node sends when it
// stored a run's log chunk, step or state rings that run's bell here, waking this node's
// followers of it. One connection per node, not per follower: followers only read the bell.
class RunLogListener {
 public:
  static Result<std::unique_ptr<RunLogListener>> open(const std::filesystem::path& url_file);

  // Waits up to `timeout`, ringing the bell of each run notified. A lost connection is made
  // again and LISTENs anew; then every bell rings, since what was sent meanwhile is unknown.
  Result<void> listen_once(RunLogBell& bell, std::chrono::milliseconds timeout);

 private:
  explicit RunLogListener(Connection conn) : conn_(std::move(conn)) {}
  Result<void> subscribe();
  Connection conn_;
  bool listening_ = false;
};

}  // namespace juanie::daemon::store::pg
