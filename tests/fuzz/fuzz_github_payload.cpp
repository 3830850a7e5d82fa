#include "tests/fuzz/payload_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  juanie::fuzz::payload(juanie::daemon::Forge::kGithub, "X-GitHub-Event", "push", data, size);
  // The same bytes as a pull/merge request body.
  juanie::fuzz::payload(juanie::daemon::Forge::kGithub, "X-GitHub-Event", "pull_request", data,
                        size);
  return 0;
}
