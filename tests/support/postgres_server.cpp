#include "support/postgres_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "support/shell.hpp"

namespace juanie::test {
namespace {

// Debian installs the server programs outside PATH, under their major version.
std::string find_bin() {
  for (const char* dir : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin"}) {
    if (::access((std::string(dir) + "/pg_ctl").c_str(), X_OK) == 0) return dir;
  }
  const auto [status, out] = sh_with_status("command -v pg_ctl");
  if (status != 0) throw std::runtime_error("no PostgreSQL server programs (scripts/install-deps)");
  return std::filesystem::path(out.substr(0, out.find('\n'))).parent_path();
}

// A port the kernel just handed out on 127.0.0.1; free again once closed. Another process may
// take it before the server binds it: the start is retried on a new port then.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// As root: the command as the `postgres` user, who owns the folder.
std::string as_server_user(const std::string& command) {
  return ::geteuid() == 0 ? "runuser -u postgres -- " + command : command;
}

}  // namespace

PostgresServer::PostgresServer() : bin_(find_bin()) {
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (!pw) throw std::runtime_error("running as root and no `postgres` user to run the server");
    if (::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("cannot hand " + dir_.path().string() + " to postgres");
    }
  }
  const std::string data = (dir_ / "data").string();
  int status = 0;
  const std::string out = sh(as_server_user(bin_ + "/initdb -D " + data +
                                            " -A trust -U juanie -E UTF8 --no-sync "
                                            "--no-instructions"),
                             &status);
  if (status != 0) throw std::runtime_error("initdb failed: " + out);
  // fsync off: a test's data need not survive a power cut, and it saves most of the time.
  std::string last;
  for (int attempt = 0; attempt < 3 && !running_; ++attempt) {
    port_ = free_port();
    const std::string options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                                " -k " + dir_.path().string() +
                                " -c fsync=off -c full_page_writes=off -c max_connections=200";
    last = pg_ctl("-w -t 60 -l " + (dir_ / "server.log").string() + " -o '" + options + "' start",
                  &status);
    running_ = status == 0;
  }
  if (!running_) throw std::runtime_error("pg_ctl start failed: " + last + "\n" + log());
  // A crashed test runs no destructor: a process of its own session waits for this one to end
  // and then stops the server (this object stops it first in the ordinary case, and ends it).
  const std::string stop = as_server_user(bin_ + "/pg_ctl -D " + data + " -m immediate stop");
  const std::string watch = "while kill -0 " + std::to_string(::getpid()) +
                            " 2>/dev/null; do sleep 1; done; " + stop + "; rm -rf " +
                            dir_.path().string();
  const std::string pid =
      sh("setsid sh -c '" + watch + "' </dev/null >/dev/null 2>&1 & echo $!", &status);
  watcher_ = std::atoi(pid.c_str());
}

PostgresServer::~PostgresServer() {
  if (watcher_ > 0) ::kill(-watcher_, SIGKILL);
  if (!running_) return;
  int status = 0;
  (void)pg_ctl("-m immediate stop", &status);
}

std::string PostgresServer::pg_ctl(const std::string& arguments, int* status) const {
  return sh(as_server_user(bin_ + "/pg_ctl -D " + (dir_ / "data").string() + " " + arguments),
            status);
}

std::string PostgresServer::uri(const std::string& database) const {
  return "postgresql://juanie@127.0.0.1:" + std::to_string(port_) + "/" + database +
         "?sslmode=disable";
}

std::string PostgresServer::create_database() {
  const std::string name = "test_" + std::to_string(++databases_);
  int status = 0;
  const std::string out =
      sh(bin_ + "/psql -q -X -v ON_ERROR_STOP=1 '" + uri() + "' -c 'CREATE DATABASE " + name + "'",
         &status);
  if (status != 0) throw std::runtime_error("CREATE DATABASE failed: " + out);
  return name;
}

std::string PostgresServer::log() const {
  return read_file(dir_ / "server.log");
}

}  // namespace juanie::test
