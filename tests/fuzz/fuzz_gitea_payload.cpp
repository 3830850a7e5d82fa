#include "tests/fuzz/payload_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  juanie::fuzz::payload(juanie::daemon::Forge::kGitea, "X-Gitea-Event", "push", data, size);
  // The same bytes as a pull/merge request body.
  juanie::fuzz::payload(juanie::daemon::Forge::kGitea, "X-Gitea-Event", "pull_request", data, size);
  return 0;
}
