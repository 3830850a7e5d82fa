#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace juanie::runner {

// The forms in which a secret value is hidden in logs: as is, base64 and URL-encoded.
std::vector<std::string> masked_forms(const std::vector<std::string>& secret_values);

// Masks every occurrence of `forms` in `text` with "***".
void mask(std::string& text, const std::vector<std::string>& forms);

// A step's output on its way to its log file (and to an optional live reader): secrets
// masked even when a chunk boundary splits them, capped at `cap` bytes with a marker line
// after which output is dropped.
class StepLog {
 public:
  StepLog(std::filesystem::path file, std::uint64_t cap, std::vector<std::string> secret_values,
          std::function<void(std::string_view)> live = {});
  ~StepLog();
  StepLog(const StepLog&) = delete;
  StepLog& operator=(const StepLog&) = delete;

  void write(std::string_view bytes);
  // Flushes what is held back for masking; call once at the end.
  void close();

  bool truncated() const { return truncated_; }
  std::uint64_t written() const { return written_; }
  bool ok() const { return fd_ >= 0 && !failed_; }

 private:
  void emit(std::string_view bytes);
  void append(std::string_view bytes);

  // O_CLOEXEC: a step must never hold its own log, where it could write past the cap and
  // around masking.
  int fd_ = -1;
  bool failed_ = false;
  std::uint64_t cap_;
  std::vector<std::string> forms_;
  std::size_t hold_ = 0;  // longest form - 1: bytes kept back so a split secret is still masked
  std::function<void(std::string_view)> live_;
  std::string pending_;
  std::uint64_t written_ = 0;
  bool truncated_ = false;
  bool closed_ = false;
};

}  // namespace juanie::runner
