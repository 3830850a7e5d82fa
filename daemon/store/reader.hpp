#pragma once

#include <filesystem>
#include <mutex>

#include "daemon/store/sqlite.hpp"

namespace juanie::daemon::store {

// A read connection shared by the request handlers. WAL lets it read while the writer
// commits; the mutex serialises the handlers' use of the one connection.
class Reader {
 public:
  static Result<Reader> open(const std::filesystem::path& file);

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

}  // namespace juanie::daemon::store
