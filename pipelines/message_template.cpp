#include "pipelines/message_template.hpp"

#include <algorithm>

namespace juanie::pipelines {
namespace {

bool known(std::string_view name) {
  return std::any_of(std::begin(kMessageFields), std::end(kMessageFields),
                     [&](const char* f) { return name == f; });
}

}  // namespace

Result<std::string> render_message(std::string_view tmpl,
                                   const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      out += c;
      ++i;
    } else if (c == '{') {
      const auto close = tmpl.find('}', i);
      if (close == std::string_view::npos) return fail("unclosed { in the message template");
      const std::string name(tmpl.substr(i + 1, close - i - 1));
      if (!known(name)) return fail("unknown field {" + name + "} in the message template");
      if (auto it = values.find(name); it != values.end()) out += it->second;
      i = close;
    } else if (c == '}') {
      return fail("a } without its { in the message template (write }} for a brace)");
    } else {
      out += c;
    }
  }
  return out;
}

Result<void> check_message_template(std::string_view tmpl) {
  auto r = render_message(tmpl, {});
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace juanie::pipelines
