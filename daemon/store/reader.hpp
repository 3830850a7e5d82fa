#pragma once

#include <filesystem>
#include <mutex>

#include "daemon/store/database.hpp"
#include "daemon/store/pg_connection.hpp"

namespace juanie::daemon::store {

// A read connection shared by the request handlers. WAL lets it read while the writer
// commits (on PostgreSQL, MVCC does); the mutex serialises the handlers' use of the one
// connection.
class Reader {
 public:
  static Result<Reader> open(const std::filesystem::path& file);
  static Result<Reader> open_postgresql(const std::filesystem::path& url_file);

  template <typename F>
  auto with(F&& f) {
    std::lock_guard lock(*mutex_);
    return f(db_);
  }

 private:
  explicit Reader(Database db) : db_(std::move(db)), mutex_(std::make_unique<std::mutex>()) {}
  Database db_;
  std::unique_ptr<std::mutex> mutex_;
};

inline Result<Reader> Reader::open(const std::filesystem::path& file) {
  auto db = Database::open(file, true);
  if (!db) return std::unexpected(db.error());
  return Reader(std::move(*db));
}

inline Result<Reader> Reader::open_postgresql(const std::filesystem::path& url_file) {
  auto conn = pg::Connection::connect_file(url_file);
  if (!conn) return std::unexpected(conn.error());
  auto db = Database::open_postgresql(std::move(*conn), true);
  if (!db) return std::unexpected(db.error());
  return Reader(std::move(*db));
}

}  // namespace juanie::daemon::store
