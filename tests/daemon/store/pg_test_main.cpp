// The PostgreSQL tests share one real server: starting one takes about two seconds (initdb),
// so it is started once here, each test working on a database of its own.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>

#include "daemon/store/pg_fixture.hpp"

namespace juanie::test {
namespace {
PostgresServer* server = nullptr;
}  // namespace

PostgresServer& shared_postgres() {
  return *server;
}

}  // namespace juanie::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::unique_ptr<juanie::test::PostgresServer> server;
  try {
    server = std::make_unique<juanie::test::PostgresServer>();
  } catch (const std::exception& e) {
    std::cerr << "cannot start PostgreSQL for the tests: " << e.what() << "\n";
    return 1;
  }
  juanie::test::server = server.get();
  const int status = RUN_ALL_TESTS();
  if (status != 0) std::cerr << "PostgreSQL's log:\n" << server->log();
  return status;
}
