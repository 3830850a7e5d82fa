#include "daemon/cmd/service_watchdog.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>

#include "daemon/http/client.hpp"
#include "daemon/support/periodic_worker.hpp"

namespace juanie::daemon {

ServiceWatchdog::ServiceWatchdog(ServiceWatchdogOptions options) : options_(std::move(options)) {}

ServiceWatchdog::~ServiceWatchdog() {
  stop();
}

void ServiceWatchdog::start() {
  if (std::getenv("NOTIFY_SOCKET") == nullptr) return;
  std::uint64_t usec = 0;
  // Checks WATCHDOG_PID too: a watchdog meant for a parent process is not ours to feed.
  std::chrono::milliseconds period{10'000};
  if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
    period = std::chrono::milliseconds(usec / 2000);
    probe_timeout_ = period;
  }
  worker_ = std::make_unique<PeriodicWorker>(period, [this](bool) { pass(); });
  worker_->start();
}

void ServiceWatchdog::stop() {
  if (worker_) worker_->stop();
}

void ServiceWatchdog::pass() {
  if (probe_timeout_.count() > 0) {
    http::ClientRequest probe;
    probe.url = options_.probe_url;
    probe.timeout = probe_timeout_;
    // The daemon's own certificate may name a host other than loopback; only the answer counts.
    probe.verify_tls = false;
    // Any answer shows the event loop alive: at its connection cap it answers 503 (429 past
    // the per-address cap), and a stranger holding every connection must not get the daemon
    // restarted over and over — each restart interrupting the runs.
    auto answer = http::send(probe);
    if (answer) sd_notify(0, "WATCHDOG=1");
  }
  if (options_.status) sd_notify(0, ("STATUS=" + options_.status()).c_str());
}

std::string loopback_url(const std::string& host, int port, bool tls, const std::string& path) {
  std::string h = host;
  if (h.empty() || h == "0.0.0.0") h = "127.0.0.1";
  if (h == "::") h = "::1";
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return std::string(tls ? "https" : "http") + "://" + h + ":" + std::to_string(port) + path;
}

}  // namespace juanie::daemon
