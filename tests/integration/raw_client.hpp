#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace juanie::test {

// A plain TCP connection to the daemon, for what an HTTP library will not do on purpose:
// half-sent requests, one byte a second, bodies that lie about their length.
class RawConnection {
 public:
  explicit RawConnection(int port);
  // From `source` (another loopback address, such as 127.0.0.2) to the daemon on 127.0.0.1.
  RawConnection(int port, const std::string& source);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // false once the peer has closed or reset the connection.
  bool send(const std::string& bytes);
  // Reads until the peer closes, `timeout` passes, or a whole response (headers plus
  // Content-Length body) has arrived.
  std::string read_response(std::chrono::milliseconds timeout);
  // Reads until `needle` has arrived (returns everything read so far, this call's and
  // earlier ones'), the peer closes, or `timeout` passes.
  std::string read_until(const std::string& needle, std::chrono::milliseconds timeout);
  // true when the peer has closed the connection (reads EOF or reset) within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string received_;
};

// "HTTP/1.1 413 ..." → 413; 0 when there is no status line.
int status_of(const std::string& response);

// A field of /proc/PID/status in KiB (VmRSS, VmHWM); -1 when it cannot be read.
long proc_status_kib(int pid, const std::string& field);

}  // namespace juanie::test
