// A forge's answer headers (Retry-After, X-RateLimit-Reset/-Remaining) decide when the next
// status is sent: whatever a forge or a man in the middle says, no crash, and the time is
// never before now nor past the cap.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pipelines/commit_status.hpp"

using namespace juanie::pipelines;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  // Three headers, split at the first two newlines.
  const auto a = input.find('\n');
  const auto b = a == std::string::npos ? a : input.find('\n', a + 1);
  RateLimitHeaders h;
  h.retry_after = input.substr(0, a);
  if (a != std::string::npos) h.reset = input.substr(a + 1, b == std::string::npos ? b : b - a - 1);
  if (b != std::string::npos) h.remaining = input.substr(b + 1);
  (void)parse_retry_after(input, now);
  for (int status : {403, 429, 500}) {
    (void)classify_answer(StatusApi::kGithub, status, h, input);
    (void)classify_answer(StatusApi::kGitlab, 400, h, input);
    const auto at = not_before(status, h, now, std::chrono::hours(1));
    if (at && *at > now + std::chrono::hours(1)) std::abort();
  }
  if (auto at = parse_retry_after(h.retry_after, now); at && !h.retry_after.empty() &&
                                                       h.retry_after[0] >= '0' &&
                                                       h.retry_after[0] <= '9' && *at < now) {
    std::abort();  // delta-seconds never go backwards
  }
  return 0;
}
