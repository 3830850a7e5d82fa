#include "pipelines/glob.hpp"

#include <vector>

namespace juanie::pipelines {

bool glob_match(std::string_view pattern, std::string_view text) {
  // reachable[j]: the pattern prefix consumed so far matches text[0, j).
  std::vector<char> reachable(text.size() + 1, 0);
  reachable[0] = 1;
  std::size_t i = 0;
  while (i < pattern.size()) {
    std::vector<char> next(text.size() + 1, 0);
    if (pattern[i] == '*') {
      const bool crosses = i + 1 < pattern.size() && pattern[i + 1] == '*';
      for (std::size_t j = 0; j <= text.size(); ++j) {
        if (reachable[j]) {
          next[j] = 1;
        } else if (j > 0 && next[j - 1] && (crosses || text[j - 1] != '/')) {
          next[j] = 1;
        }
      }
      i += crosses ? 2 : 1;
    } else {
      for (std::size_t j = 0; j < text.size(); ++j) {
        if (!reachable[j]) continue;
        const char c = text[j];
        if (pattern[i] == '?' ? c != '/' : pattern[i] == c) next[j + 1] = 1;
      }
      ++i;
    }
    reachable.swap(next);
  }
  return reachable[text.size()] != 0;
}

}  // namespace juanie::pipelines
