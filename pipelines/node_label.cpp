#include "pipelines/node_label.hpp"

#include <algorithm>

namespace juanie::pipelines {

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

bool is_node_label(std::string_view s) {
  return !s.empty() && s.size() <= 63 && std::all_of(s.begin(), s.end(), is_label_char);
}

std::vector<std::string> missing_labels(const std::vector<std::string>& wanted,
                                        const std::vector<std::string>& has) {
  std::vector<std::string> out;
  for (const auto& label : wanted) {
    if (std::find(has.begin(), has.end(), label) == has.end()) out.push_back(label);
  }
  return out;
}

std::string join_labels(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& label : labels) out += (out.empty() ? "" : ", ") + label;
  return out;
}

}  // namespace juanie::pipelines
