#include "tests/fuzz/payload_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  juanie::fuzz::payload(juanie::daemon::Forge::kGitlab, "X-Gitlab-Event", "Push Hook", data, size);
  juanie::fuzz::payload(juanie::daemon::Forge::kGitlab, "X-Gitlab-Event", "System Hook", data,
                        size);
  // The same bytes as a pull/merge request body.
  juanie::fuzz::payload(juanie::daemon::Forge::kGitlab, "X-Gitlab-Event", "Merge Request Hook",
                        data, size);
  return 0;
}
