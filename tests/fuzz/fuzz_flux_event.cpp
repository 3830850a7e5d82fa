// A Flux notification as it comes off the wire: a first line that is the X-Signature header,
// then the body. The parser must refuse garbage without crashing and never report a commit
// that is not a full object id; the signature check must never accept what the key did not
// sign.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/flux/flux_event.hpp"
#include "pipelines/ref.hpp"

using namespace juanie::daemon::flux;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string header = input.substr(0, newline);
  const std::string body = newline == std::string::npos ? "" : input.substr(newline + 1);
  if (auto event = parse_flux_event(body)) {
    if (event->commit && !juanie::pipelines::is_object_id(*event->commit)) std::abort();
    if (event->message.size() > 4096 || event->reason.size() > 4096) std::abort();
  }
  // No input is signed with this key by chance.
  if (verify_flux_signature(header, body, "fuzz-key-0123456789")) {
    if (header.find("sha") == std::string::npos) std::abort();
  }
  return 0;
}
