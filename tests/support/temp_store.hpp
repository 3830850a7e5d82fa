#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "daemon/store/reader.hpp"
#include "daemon/store/schema.hpp"
#include "daemon/store/writer.hpp"

namespace juanie::test {

// Opens a real SQLite store at `file` as the daemon does: its single writer (which migrates
// it) and a reader. A failure fails the test: call under ASSERT_NO_FATAL_FAILURE.
inline void open_store(const std::filesystem::path& file,
                       std::unique_ptr<daemon::store::Writer>& writer,
                       std::optional<daemon::store::Reader>& reader, int batch = 100) {
  auto w = daemon::store::Writer::open(file, batch);
  ASSERT_TRUE(w) << w.error().message;
  writer = std::move(*w);
  auto r = daemon::store::Reader::open(file);
  ASSERT_TRUE(r) << r.error().message;
  reader.emplace(std::move(*r));
}

// A real, migrated SQLite database at `file` for the store's functions, used synchronously as
// the writer thread uses it. A failure fails the test: call under ASSERT_NO_FATAL_FAILURE.
inline void open_database(const std::filesystem::path& file,
                          std::optional<daemon::store::Database>& db) {
  auto opened = daemon::store::Database::open(file, false);
  ASSERT_TRUE(opened) << opened.error().message;
  db.emplace(std::move(*opened));
  ASSERT_TRUE(daemon::store::configure_writer(*db));
  auto migrated = daemon::store::migrate(*db);
  ASSERT_TRUE(migrated) << migrated.error().message;
}

}  // namespace juanie::test
