#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "daemon/store/sqlite.hpp"

namespace juanie::daemon::store {

// The one writer of the database. Jobs submitted from any thread are run on the writer's own
// thread; all jobs waiting when it wakes share one transaction (group commit), so durability
// costs one fsync per batch rather than per request. A job's `done` runs only after the
// COMMIT has returned — durable — or with the error when the job or the commit failed.
class Writer {
 public:
  using Work = std::function<Result<void>(Database&)>;
  using Done = std::function<void(Result<void>)>;

  // Opens, configures (WAL, synchronous=FULL) and migrates the database.
  static Result<std::unique_ptr<Writer>> open(const std::filesystem::path& file,
                                              std::size_t max_pending);
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
