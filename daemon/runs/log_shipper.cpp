#include "daemon/runs/log_shipper.hpp"

#include <string>

#include "daemon/store/step_logs.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/file_range.hpp"
#include "daemon/support/log.hpp"

namespace juanie::daemon {
namespace {
// What one look stores at most: a step that floods its log (up to log_max) goes in over a few
// seconds rather than in one transaction that holds up every other write.
constexpr std::uint64_t kBytesPerLook = 1024 * 1024;
}  // namespace

Result<void> store_log_tail(store::Database& db, std::int64_t run, int step,
                            const std::filesystem::path& file, std::uint64_t max_bytes) {
  auto stored = store::step_log_size(db, run, store::StepRecord{.index = step});
  if (!stored) return std::unexpected(stored.error());
  std::uint64_t at = *stored;
  while (max_bytes == 0 || at - *stored < max_bytes) {
    const std::string chunk = read_file_range(file, at, store::kLogChunkMax);
    if (chunk.empty()) return {};  // all stored (or the file is not created yet)
    auto kept = store::append_step_log(db, run, step, at, chunk);
    if (!kept) return std::unexpected(kept.error());
    if (!*kept) {
      return fail(ErrorKind::kConflict,
                  "run " + std::to_string(run) + " is no longer this node's: its log stays here");
    }
    at += chunk.size();
  }
  return {};
}

void LogShipper::open(std::int64_t run, int step, std::filesystem::path file) {
  std::lock_guard lock(mutex_);
  open_[{run, step}] = Tail{std::move(file), ++serial_, false, false};
}

std::function<Result<void>(store::Database&)> LogShipper::close(
    std::int64_t run, int step, std::function<Result<void>(store::Database&)> then) {
  std::lock_guard lock(mutex_);
  auto it = open_.find({run, step});
  if (it == open_.end() || it->second.refused) return then;
  auto file = it->second.file;
  open_.erase(it);
  return [run, step, file = std::move(file), then = std::move(then)](store::Database& db) {
    // A refused tail (the run went to another node meanwhile) is its step's refusal too.
    if (auto ok = store_log_tail(db, run, step, file, 0); !ok) return ok;
    return then(db);
  };
}

void LogShipper::forget(std::int64_t run) {
  std::lock_guard lock(mutex_);
  std::erase_if(open_, [run](const auto& entry) { return entry.first.first == run; });
}

void LogShipper::ship() {
  std::lock_guard lock(mutex_);
  for (auto& [key, tail] : open_) {
    if (tail.queued || tail.refused) continue;
    tail.queued = true;
    const Key k = key;
    writer_.submit(
        [k, file = tail.file](store::Database& db) {
          return store_log_tail(db, k.first, k.second, file, kBytesPerLook);
        },
        [this, k, serial = tail.serial](Result<void> ok) {
          {
            std::lock_guard answer(mutex_);  // also when answered at once, inside ship()
            auto it = open_.find(k);
            if (it != open_.end() && it->second.serial == serial) {
              it->second.queued = false;
              if (!ok && ok.error().kind == ErrorKind::kConflict) it->second.refused = true;
            }
          }
          if (!ok && ok.error().kind != ErrorKind::kConflict) {
            log_.warn({.run = k.first}, "run " + std::to_string(k.first) + ": step " +
                                            std::to_string(k.second) +
                                            "'s log could not be stored yet (the next look "
                                            "goes on from where the store's copy ends): " +
                                            ok.error().message);
          }
        });
  }
}

}  // namespace juanie::daemon
