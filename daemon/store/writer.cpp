#include "daemon/store/writer.hpp"

#include <future>
#include <vector>

#include "daemon/store/pg_connection.hpp"
#include "daemon/store/pg_schema.hpp"
#include "daemon/store/schema.hpp"

namespace juanie::daemon::store {
namespace {
constexpr std::size_t kMaxBatch = 1024;
}

Result<std::unique_ptr<Writer>> Writer::open(const std::filesystem::path& file,
                                             std::size_t max_pending) {
  auto db = Database::open(file, false);
  if (!db) return std::unexpected(db.error());
  // The store holds approval links and notification payloads: the daemon's user only. SQLite
  // gives the -wal and -shm files the database file's mode, so set it before WAL starts.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const std::filesystem::path f = file.string() + suffix;
    if (std::filesystem::exists(f, ec)) {
      std::filesystem::permissions(
          f, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
      if (ec) return fail("cannot make " + f.string() + " private: " + ec.message());
    }
  }
  if (auto ok = configure_writer(*db); !ok) return std::unexpected(ok.error());
  if (auto ok = migrate(*db); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<Writer>(new Writer(std::move(*db), max_pending));
}

Result<std::unique_ptr<Writer>> Writer::open_postgresql(const std::filesystem::path& url_file,
                                                        std::size_t max_pending,
                                                        const std::string& node) {
  auto conn = pg::Connection::connect_file(url_file);
  if (!conn) return std::unexpected(conn.error());
  if (auto migrated = pg::migrate(*conn); !migrated) return std::unexpected(migrated.error());
  auto db = Database::open_postgresql(std::move(*conn), false, node);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<Writer>(new Writer(std::move(*db), max_pending));
}

Writer::Writer(Database db, std::size_t max_pending)
    : db_(std::move(db)), max_pending_(max_pending), thread_([this] { loop(); }) {}

Writer::~Writer() {
  stop();
}

void Writer::submit(Work work, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && queue_.size() < max_pending_) {
      queue_.push_back(Job{std::move(work), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(fail(ErrorKind::kUnavailable,
            stopping_ ? "the store is shutting down" : "the store's write queue is full"));
}

void Writer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Writer::running() const {
  std::lock_guard lock(mutex_);
  return !stopping_;
}

std::size_t Writer::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Writer::loop() {
  std::vector<Job> batch;
  std::vector<Result<void>> results;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    results.clear();
    if (batch.size() == 1) {
      results.push_back(run_alone(batch.front()));
    } else if (!run_together(batch, results)) {
      // Nothing of the batch was committed. Each job again in a transaction of its own, so
      // each caller is told what happened to its own write, not its neighbour's.
      results.clear();
      for (auto& job : batch) results.push_back(run_alone(job));
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
    batch.clear();
  }
}

bool Writer::in_transaction() const {
  return db_.in_transaction();
}

Result<void> Writer::commit(std::int64_t changes_before) {
  const bool changed = db_.total_changes() != changes_before;
  if (auto committed = db_.commit(); !committed) {
    if (in_transaction()) (void)db_.exec("ROLLBACK");
    commit_failed_ = true;
    return committed;
  }
  if (changed) commit_failed_ = false;
  return {};
}

bool Writer::run_together(std::vector<Job>& batch, std::vector<Result<void>>& results) {
  const auto changes_before = db_.total_changes();
  if (auto begun = db_.begin(); !begun) {
    // Nothing ran (the database is locked or unreachable); alone each would wait as long again.
    results.assign(batch.size(), std::unexpected(begun.error()));
    return true;
  }
  auto abandon = [this] {
    if (in_transaction()) (void)db_.exec("ROLLBACK");
    return false;
  };
  for (auto& job : batch) {
    // A savepoint per job: one job's failure must not undo its neighbours.
    if (!db_.exec("SAVEPOINT job")) return abandon();
    Result<void> r = job.work(db_);
    // SQLite ends the whole transaction itself on some errors (a full disk, an I/O error,
    // ON CONFLICT ROLLBACK): the neighbours' work is gone with it. (PostgreSQL only marks it
    // failed; ROLLBACK TO the job's savepoint mends that.)
    if (!in_transaction()) return false;
    if (!r && !db_.exec("ROLLBACK TO job")) return abandon();
    if (!db_.exec("RELEASE job")) return abandon();
    results.push_back(std::move(r));
  }
  return commit(changes_before).has_value();
}

Result<void> Writer::run_alone(Job& job) {
  const auto changes_before = db_.total_changes();
  if (auto begun = db_.begin(); !begun) return begun;
  Result<void> r = job.work(db_);
  if (!in_transaction()) {
    return r ? fail("the store rolled the write back") : r;
  }
  if (!r) {
    (void)db_.exec("ROLLBACK");
    return r;
  }
  return commit(changes_before);
}

Result<void> write_and_wait(Writer& writer, Writer::Work work) {
  std::promise<Result<void>> done;
  auto future = done.get_future();
  writer.submit(std::move(work), [&done](Result<void> r) { done.set_value(std::move(r)); });
  return future.get();
}

}  // namespace juanie::daemon::store
