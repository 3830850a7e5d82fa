#include "runner/step_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "pipelines/encoding.hpp"

namespace juanie::runner {

std::vector<std::string> masked_forms(const std::vector<std::string>& secret_values) {
  std::vector<std::string> forms;
  for (const auto& value : secret_values) {
    if (value.size() < 4)
      continue;  // masking "a" would shred every log; such secrets are refused upstream
    for (std::string form :
         {value, pipelines::base64_encode(value), pipelines::percent_encode(value)}) {
      // base64 of a value depends on its alignment in a longer text; the unpadded prefix is
      // what appears in any position-0 encoding.
      while (!form.empty() && form.back() == '=') form.pop_back();
      if (std::find(forms.begin(), forms.end(), form) == forms.end()) forms.push_back(form);
    }
  }
  // Longest first, so a form that contains another is masked whole.
  std::sort(forms.begin(), forms.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return forms;
}

void mask(std::string& text, const std::vector<std::string>& forms) {
  for (const auto& form : forms) {
    for (std::size_t at = text.find(form); at != std::string::npos; at = text.find(form, at + 3)) {
      text.replace(at, form.size(), "***");
    }
  }
}

StepLog::StepLog(std::filesystem::path file, std::uint64_t cap,
                 std::vector<std::string> secret_values, std::function<void(std::string_view)> live)
    : fd_(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)),
      cap_(cap),
      forms_(masked_forms(secret_values)),
      live_(std::move(live)) {
  for (const auto& f : forms_) hold_ = std::max(hold_, f.size() - 1);
}

StepLog::~StepLog() {
  close();
  if (fd_ >= 0) ::close(fd_);
}

void StepLog::write(std::string_view bytes) {
  if (closed_) return;
  pending_.append(bytes);
  mask(pending_, forms_);
  if (pending_.size() > hold_) {
    const std::size_t n = pending_.size() - hold_;
    emit(std::string_view(pending_).substr(0, n));
    pending_.erase(0, n);
  }
}

void StepLog::close() {
  if (closed_) return;
  mask(pending_, forms_);
  emit(pending_);
  pending_.clear();
  closed_ = true;
}

void StepLog::append(std::string_view bytes) {
  while (fd_ >= 0 && !failed_ && !bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed_ = true;
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void StepLog::emit(std::string_view bytes) {
  if (truncated_ || bytes.empty()) return;
  if (written_ + bytes.size() > cap_) {
    bytes = bytes.substr(0, cap_ - written_);
    truncated_ = true;
  }
  append(bytes);
  if (live_) live_(bytes);
  written_ += bytes.size();
  if (truncated_) {
    const std::string marker = "\n[juanie: log cut at " + std::to_string(cap_) +
                               " bytes (limits.log_max); further output dropped]\n";
    append(marker);
    if (live_) live_(marker);
  }
}

}  // namespace juanie::runner
