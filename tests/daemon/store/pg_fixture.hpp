#pragma once

#include <gtest/gtest.h>

#include <string>

#include "daemon/store/pg_connection.hpp"
#include "support/postgres_server.hpp"

namespace juanie::test {

// The one server of the PostgreSQL test binary (pg_test_main.cpp starts it before the tests
// and stops it after them).
PostgresServer& shared_postgres();

// A test on a fresh database of its own on the shared server.
class PgTest : public ::testing::Test {
 protected:
  void SetUp() override { uri_ = shared_postgres().uri(shared_postgres().create_database()); }

  daemon::store::pg::Connection connect() {
    auto conn = daemon::store::pg::Connection::connect(uri_);
    if (!conn) throw std::runtime_error(conn.error().message);
    return std::move(*conn);
  }

  std::string uri_;
};

}  // namespace juanie::test
