#include "pipelines/image_tag.hpp"

#include <cctype>

namespace juanie::pipelines {

std::string commit_tag(std::string_view sha) {
  return std::string(sha.substr(0, kCommitTagLength));
}

std::string branch_tag(std::string_view branch) {
  std::string out;
  for (char c : branch.substr(0, 128)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    out += ok ? c : '-';
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '-')) out[0] = '_';
  return out;
}

}  // namespace juanie::pipelines
