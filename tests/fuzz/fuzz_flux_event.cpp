// A Flux notification as it comes off the wire: a first line that is the X-Signature header,
// then the body. The parser must refuse garbage without crashing and never report a commit
// that is not a full object id; the signature check must never accept what the key did not
// sign.
#include <cctype>
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
  // Only a header naming a SHA-2 HMAC can pass (the seeds hold one signed with this key; the
  // name of the hash is read without case, as "sHa256" showed).
  if (verify_flux_signature(header, body, "fuzz-key-0123456789")) {
    std::string name = header.substr(0, header.find('='));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!name.starts_with("sha")) std::abort();
  }
  return 0;
}
