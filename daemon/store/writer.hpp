#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "daemon/store/database.hpp"

namespace juanie::daemon::store {

// The one writer of the database. Jobs submitted from any thread are run on the writer's own
// thread; all jobs waiting when it wakes share one transaction (group commit), so durability
// costs one fsync per batch rather than per request. A job's `done` runs only after the
// COMMIT has returned — durable — or with the error when the job or the commit failed. When
// the batch's transaction fails as a whole (SQLite rolled it back, or COMMIT failed), each job
// runs again alone, so `done` always tells what happened to that job's own write. A job's
// `work` may therefore run twice: it must touch only the database and its own out-values.
class Writer {
 public:
  using Work = std::function<Result<void>(Database&)>;
  using Done = std::function<void(Result<void>)>;

  // Opens, configures (WAL, synchronous=FULL) and migrates the database.
  static Result<std::unique_ptr<Writer>> open(const std::filesystem::path& file,
                                              std::size_t max_pending);
  // On PostgreSQL, the connection URI in `url_file`; migrated under the migrations' advisory
  // lock (pg_schema.hpp), so several nodes starting at once apply each migration once.
  // `node`: the build node it writes for (Database::node).
  static Result<std::unique_ptr<Writer>> open_postgresql(const std::filesystem::path& url_file,
                                                         std::size_t max_pending,
                                                         const std::string& node);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Thread-safe. When the queue is full, `done` is called at once with an error (the caller
  // answers 503 and the forge retries later).
  void submit(Work work, Done done);

  // Runs what is queued, then stops the thread. Later submits fail at once.
  void stop();

  std::size_t pending() const;
  // false once stop() was called or the thread has ended.
  bool running() const;
  // true when the last batch that tried to change something failed to commit (disk full, I/O
  // error), until a batch that changes something commits again: readiness without a write.
  bool last_commit_failed() const { return commit_failed_.load(); }

 private:
  explicit Writer(Database db, std::size_t max_pending);
  void loop();

  struct Job {
    Work work;
    Done done;
  };

  // The batch in one transaction, each job's result in `results`; false when nothing of it
  // was committed because the transaction as a whole failed (rolled back by SQLite, or the
  // COMMIT failed), and `results` is then incomplete.
  bool run_together(std::vector<Job>& batch, std::vector<Result<void>>& results);
  // One job in a transaction of its own: its result is exactly what was committed.
  Result<void> run_alone(Job& job);
  Result<void> commit(std::int64_t changes_before);
  bool in_transaction() const;

  Database db_;
  const std::size_t max_pending_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::atomic<bool> commit_failed_{false};
  std::thread thread_;
};

// Submits `work` and blocks until it is durable (or failed): for threads that may wait.
Result<void> write_and_wait(Writer& writer, Writer::Work work);

}  // namespace juanie::daemon::store
