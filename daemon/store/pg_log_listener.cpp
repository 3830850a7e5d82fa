#include "daemon/store/pg_log_listener.hpp"

#include <charconv>
#include <thread>

#include "daemon/store/step_logs.hpp"

namespace juanie::daemon::store::pg {

Result<std::unique_ptr<RunLogListener>> RunLogListener::open(
    const std::filesystem::path& url_file) {
  auto conn = Connection::connect_file(url_file);
  if (!conn) return std::unexpected(conn.error());
  std::unique_ptr<RunLogListener> listener(new RunLogListener(std::move(*conn)));
  if (auto ok = listener->subscribe(); !ok) return std::unexpected(ok.error());
  return listener;
}

Result<void> RunLogListener::subscribe() {
  // The channel is ours, a constant: LISTEN takes no parameter.
  auto ok = conn_.exec(std::string("LISTEN ") + kRunLogChannel);
  if (!ok) return std::unexpected(ok.error());
  listening_ = true;
  return {};
}

Result<void> RunLogListener::listen_once(RunLogBell& bell, std::chrono::milliseconds timeout) {
  if (!listening_) {
    if (auto ok = subscribe(); !ok) {
      std::this_thread::sleep_for(timeout);  // the database is away: do not spin
      return ok;
    }
    bell.ring_all();
  }
  auto runs = conn_.wait_for_notifications(kRunLogChannel, timeout);
  if (!runs) {
    listening_ = false;
    bell.ring_all();
    return std::unexpected(runs.error());
  }
  for (const auto& payload : *runs) {
    std::int64_t run = 0;
    const auto* end = payload.data() + payload.size();
    if (auto [at, ec] = std::from_chars(payload.data(), end, run); ec == std::errc() && at == end)
      bell.ring(run);
  }
  return {};
}

}  // namespace juanie::daemon::store::pg
