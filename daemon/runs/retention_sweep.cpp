#include "daemon/runs/retention_sweep.hpp"

#include <charconv>
#include <string>
#include <vector>

#include "daemon/store/retention.hpp"

namespace juanie::daemon {
namespace {

namespace fs = std::filesystem;

// Rows per transaction: intake waits behind each one.
constexpr int kBatch = 200;

void remove_logs(const fs::path& logs, std::int64_t run) {
  std::error_code ec;
  fs::remove_all(logs / std::to_string(run), ec);
}

}  // namespace

Result<Swept> RetentionSweep::pass(const std::function<bool()>& stopping) {
  Swept swept;
  auto stop = [&] { return stopping && stopping(); };
  const auto now = deps_.clock.now();
  const std::string now_text = rfc3339(now);
  if (deps_.retention.runs.count() > 0) {
    const std::string cutoff = rfc3339(now - deps_.retention.runs);
    for (;;) {
      std::vector<std::int64_t> gone;
      auto ok = store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
        auto deleted = store::delete_runs_finished_before(db, cutoff, kBatch);
        if (!deleted) return std::unexpected(deleted.error());
        gone = std::move(*deleted);
        return {};
      });
      if (!ok) return std::unexpected(ok.error());
      for (auto run : gone) remove_logs(deps_.logs, run);
      swept.runs += static_cast<int>(gone.size());
      if (gone.size() < kBatch || stop()) break;
    }
  }
  if (deps_.retention.logs.count() > 0 && !stop()) {
    const std::string cutoff = rfc3339(now - deps_.retention.logs);
    for (;;) {
      auto due = deps_.reader.with([&](store::Database& db) {
        return store::runs_with_logs_finished_before(db, cutoff, kBatch);
      });
      if (!due) return std::unexpected(due.error());
      if (due->empty()) break;
      auto ok = store::write_and_wait(deps_.writer, [&](store::Database& db) {
        return store::mark_logs_removed(db, *due, now_text);
      });
      if (!ok) return std::unexpected(ok.error());
      for (auto run : *due) remove_logs(deps_.logs, run);
      swept.logs += static_cast<int>(due->size());
      if (due->size() < kBatch || stop()) break;
    }
  }
  // A crash between a commit and the files leaves a directory of a run that is gone or whose
  // logs are marked removed.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(deps_.logs, ec)) {
    const std::string name = entry.path().filename().string();
    std::int64_t run = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), run);
    if (err != std::errc() || end != name.data() + name.size()) continue;
    auto kept = deps_.reader.with([&](store::Database& db) { return store::logs_kept(db, run); });
    if (kept && !*kept) {
      remove_logs(deps_.logs, run);
      ++swept.strays;
    }
  }
  return swept;
}

}  // namespace juanie::daemon
