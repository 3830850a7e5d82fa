#include "daemon/api/readiness.hpp"

#include "daemon/store/runs.hpp"

namespace juanie::daemon {

void Readiness::check(Answer answer) {
  auto read =
      reader_.with([](store::Database& db) { return db.exec("SELECT 1 FROM probe LIMIT 1"); });
  if (!read) return answer("the store cannot be read: " + read.error().message);
  if (!writer_.running()) return answer(std::string("the store's writer has stopped"));
  {
    std::lock_guard lock(mutex_);
    waiting_.push_back(std::move(answer));
    if (in_flight_) return;
    in_flight_ = true;
  }
  const bool failing = writer_.last_commit_failed();
  writer_.submit(
      [failing, at = now_()](store::Database& db) -> Result<void> {
        if (failing) return store::write_probe(db, at);
        return {};  // the batch's BEGIN IMMEDIATE took the write lock: that is the check
      },
      [this](Result<void> ok) {
        finish(ok ? std::nullopt
                  : std::optional<std::string>("the store is not writable: " + ok.error().message));
      });
}

void Readiness::finish(std::optional<std::string> why_not) {
  if (!why_not && writer_.last_commit_failed()) {
    why_not = "the store's last commit failed";
  }
  std::vector<Answer> answers;
  {
    std::lock_guard lock(mutex_);
    answers.swap(waiting_);
    in_flight_ = false;
  }
  for (auto& answer : answers) answer(why_not);
}

}  // namespace juanie::daemon
