#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/http/message.hpp"
#include "pipelines/error.hpp"

// The HTTP/1.1 server. Beast and Asio stay inside server.cpp: callers see requests, responses
// and a handler.
namespace juanie::daemon::http {

// Called exactly once per request, from any thread.
using Reply = std::function<void(Response)>;
// Called on a server thread; must not block for long (hand slow work to another thread and
// call `reply` when done).
using Handler = std::function<void(Request, Reply)>;

// What `ServerOptions::screen` decides once a request's header is read, before its body.
struct Screening {
  // Sent without reading the body, which is then never read (the connection closes).
  std::optional<Response> answer;
  // Else the body is read, at most this many bytes when a route takes less than
  // ServerOptions::body_max (a form): past it the answer is 413, before the body when its
  // Content-Length says so, else as soon as a chunked body passes it.
  std::optional<std::uint64_t> body_max;
  std::string body_max_name;  // what the 413 calls that cap ("a form's 16 KiB")
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (tests)
  std::uint64_t body_max = 25ULL << 20;
  std::size_t header_max = 32 * 1024;
  int max_connections = 512;
  int connections_per_ip = 64;  // past it a connection from that address is answered 429
  std::chrono::milliseconds header_timeout{10'000};  // also the keep-alive idle timeout
  std::chrono::milliseconds body_timeout{60'000};
  std::optional<std::filesystem::path> tls_cert;
  std::optional<std::filesystem::path> tls_key;
  // Called once a request's header is read (the Request has no body yet): an answer now, or
  // the body to read and how much of it at most.
  std::function<Screening(const Request& head)> screen;
  // Told of requests the server refuses itself (413, 431) before any handler sees them.
  std::function<void(int status, std::string_view target, std::string_view remote)> on_refused;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; an error when the address is taken or the TLS files do not load.
  Result<void> listen();
  std::uint16_t port() const;

  // Serves on `threads` threads until `drain` has finished; blocks.
  void run(int threads);

  // Thread-safe. Stops accepting, closes idle keep-alive connections, lets requests in flight
  // finish, and makes `run` return once none is left or `deadline` has passed.
  void drain(std::chrono::milliseconds deadline);

  int active_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace juanie::daemon::http
