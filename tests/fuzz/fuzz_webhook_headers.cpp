// Headers from the wire: "Name: value" lines, then a blank line, then the body. Every forge's
// signature check and delivery id must refuse garbage without crashing, and never accept a
// request whose signature was not made with the secret.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/forge/event.hpp"
#include "daemon/forge/signature.hpp"

using namespace juanie::daemon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  http::Request req;
  const auto split = input.find("\n\n");
  std::string head = input.substr(0, split);
  req.body = split == std::string::npos ? "" : input.substr(split + 2);
  std::size_t start = 0;
  while (start < head.size()) {
    auto end = head.find('\n', start);
    if (end == std::string::npos) end = head.size();
    const std::string line = head.substr(start, end - start);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.erase(0, 1);
      req.headers.emplace_back(line.substr(0, colon), value);
    }
    start = end + 1;
  }
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  // A secret the fuzzer cannot know: any acceptance is a forgery.
  const std::string secret = "fuzz-secret-3f6b0d9e2a71c4e8";
  const std::string signing = "whsec_ZnV6ei1zZWNyZXQtM2Y2YjBkOWUyYTcxYzRlOA==";
  for (Forge forge : {Forge::kGithub, Forge::kGitlab, Forge::kGitea}) {
    if (verify_signature(forge, req, secret, now)) std::abort();
    (void)delivery_id(forge, req);
    (void)parse_event(forge, req);
  }
  if (verify_signature(Forge::kGitlab, req, signing, now)) std::abort();
  return 0;
}
