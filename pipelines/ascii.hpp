#pragma once

#include <string>
#include <string_view>

// ASCII case folding for protocol text (hostnames, hash names, logins, e-mail addresses, YAML
// words): bytes outside A-Z are left as they are, whatever the locale. Pure.
namespace juanie::pipelines {

std::string ascii_lower(std::string text);

// Equal but for the case of ASCII letters.
bool ascii_iequals(std::string_view a, std::string_view b);

}  // namespace juanie::pipelines
