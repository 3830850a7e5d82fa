#pragma once

#include <string>

#include "support/temp_dir.hpp"

namespace juanie::test {

// A real PostgreSQL (Debian's, 15) in a temporary folder: `initdb` there, `pg_ctl start` on a
// free port of 127.0.0.1 alone (its unix socket in the folder too, so it never touches
// /run/postgresql), stopped with `pg_ctl stop -m immediate` when the object ends — a failed
// test's server does not outlive it, and a watcher process stops it and removes the folder
// if the test process dies without running destructors (a crash, kill -9). As root, the server runs
// as the `postgres` system user the package creates (PostgreSQL refuses to run as root).
// Authentication is `trust` for the superuser `juanie`: nothing but this machine's loopback reaches
// it. Start-up throws (it is a test fixture); it takes about two seconds, so a test binary starts
// one and shares it.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // postgresql://juanie@127.0.0.1:PORT/DATABASE?sslmode=disable
  std::string uri(const std::string& database = "postgres") const;
  // A fresh, empty database, named uniquely within this server: one per test.
  std::string create_database();
  // The server's log (for a failure message).
  std::string log() const;

 private:
  std::string pg_ctl(const std::string& arguments, int* status) const;

  TempDir dir_;
  std::string bin_;
  int port_ = 0;
  int databases_ = 0;
  bool running_ = false;
  int watcher_ = 0;  // process group of the watcher that stops a server its test left behind
};

}  // namespace juanie::test
