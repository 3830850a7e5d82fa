#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace juanie::daemon {

class PeriodicWorker;

struct ServiceWatchdogOptions {
  // The daemon's own liveness endpoint, e.g. http://127.0.0.1:8080/healthz.
  std::string probe_url;
  // The STATUS= line systemd shows (`systemctl status`), asked for at every pass.
  std::function<std::string()> status;
};

// systemd's watchdog (WatchdogSec=) and status line for `juanie serve`. WATCHDOG=1 is sent
// only after the HTTP server's event loop has answered a request to /healthz over loopback:
// the loop lives inside the server, so a wedged loop (or a server with no free thread) stops
// the pings and systemd restarts the daemon. Pings every half of the interval systemd asks
// for; without a watchdog the status alone is refreshed every 10 s. Does nothing when the
// daemon was not started by systemd (no NOTIFY_SOCKET).
class ServiceWatchdog {
 public:
  explicit ServiceWatchdog(ServiceWatchdogOptions options);
  ~ServiceWatchdog();
  ServiceWatchdog(const ServiceWatchdog&) = delete;
  ServiceWatchdog& operator=(const ServiceWatchdog&) = delete;

  void start();
  void stop();

 private:
  void pass();

  ServiceWatchdogOptions options_;
  std::chrono::milliseconds probe_timeout_{0};  // zero: no watchdog, status only
  std::unique_ptr<PeriodicWorker> worker_;
};

// The URL at which the daemon reaches itself: a wildcard listen address becomes loopback.
std::string loopback_url(const std::string& host, int port, bool tls, const std::string& path);

}  // namespace juanie::daemon
