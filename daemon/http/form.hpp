#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "pipelines/error.hpp"

namespace juanie::daemon::http {

// An application/x-www-form-urlencoded body, as a browser posts a form. Refused: a broken %XX
// escape, a repeated field, more than `max_fields` fields, a field name that is not [a-z_]+,
// a value that is not UTF-8 or holds control characters other than tab and newlines.
Result<std::map<std::string, std::string>> parse_form(std::string_view body,
                                                      std::size_t max_fields);

}  // namespace juanie::daemon::http
