#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace juanie::test {

// A TCP socket listening on `address` (network order; the kernel picks the port) that never
// accepts: a connection to it succeeds, which is what a reachability probe needs. Without
// close-on-exec, as a careless daemon's socket would be: a child that is not handed a clean
// descriptor table inherits it.
class Listener {
 public:
  explicit Listener(in_addr_t address = htonl(INADDR_LOOPBACK))
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = address;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 8);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace juanie::test
