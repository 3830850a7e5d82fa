#pragma once

#include <string_view>
#include <vector>

namespace juanie::pipelines {

// The parts of `text` between `separator`s, empty ones included ("a,,b" → a, "", b; "" → "").
// Views into `text`: it must outlive them.
std::vector<std::string_view> split(std::string_view text, char separator);

}  // namespace juanie::pipelines
