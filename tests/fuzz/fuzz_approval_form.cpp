// The approval form's body comes from anyone who can reach /approve/: it is parsed or refused,
// never crashes, and what it accepts is names of [a-z_] and text values that survive a
// round trip through encoding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/http/form.hpp"

using namespace juanie::daemon::http;

namespace {
std::string encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto form = parse_form(input, 8);
  if (!form) {
    if (form.error().message.empty()) std::abort();
    return 0;
  }
  if (form->size() > 8) std::abort();
  std::string again;
  for (const auto& [name, value] : *form) {
    if (name.empty() ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
      std::abort();
    }
    for (unsigned char c : value) {
      if (c == 0 || c == 0x7f) std::abort();
    }
    again += (again.empty() ? "" : "&") + name + "=" + encode(value);
  }
  auto reparsed = parse_form(again, 8);
  if (!reparsed || *reparsed != *form) std::abort();
  return 0;
}
