#include "daemon/http/form.hpp"

#include "daemon/http/message.hpp"

namespace juanie::daemon::http {
namespace {

bool is_field_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

// Well-formed UTF-8 (no overlong forms, no surrogates) without control characters but tab,
// CR and LF.
bool is_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
      ++i;
      continue;
    }
    int extra = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if ((c & 0xe0) == 0xc0) {
      extra = 1, min = 0x80, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, min = 0x800, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, min = 0x10000, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace

Result<std::map<std::string, std::string>> parse_form(std::string_view body,
                                                      std::size_t max_fields) {
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq));
    auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!name || !value) return fail("the form has a broken %-escape");
    if (!is_field_name(*name)) return fail("the form has an unexpected field");
    if (!is_text(*value)) return fail("the form field " + *name + " is not text");
    if (out.size() >= max_fields) return fail("the form has too many fields");
    if (!out.emplace(std::move(*name), std::move(*value)).second) {
      return fail("the form repeats a field");
    }
  }
  return out;
}

}  // namespace juanie::daemon::http
