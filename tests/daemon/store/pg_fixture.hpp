#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "daemon/store/pg_connection.hpp"
#include "daemon/store/pg_schema.hpp"
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

// A PgTest whose database has the store's schema, with a connection to it.
class PgStoreTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    conn_ = std::make_unique<daemon::store::pg::Connection>(connect());
    auto migrated = daemon::store::pg::migrate(*conn_);
    ASSERT_TRUE(migrated) << migrated.error().message;
  }

  // The first column of the first row of `sql`.
  std::int64_t scalar(const std::string& sql,
                      std::initializer_list<daemon::store::pg::Param> params = {}) {
    auto rows = conn_->exec(sql, params);
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? rows->int64(0, 0) : -1;
  }

  std::unique_ptr<daemon::store::pg::Connection> conn_;
};

}  // namespace juanie::test
