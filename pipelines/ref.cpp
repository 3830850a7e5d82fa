#include "pipelines/ref.hpp"

#include <algorithm>

namespace juanie::pipelines {

std::optional<Ref> parse_ref(std::string_view full_ref) {
  constexpr std::string_view kHeads = "refs/heads/";
  constexpr std::string_view kTags = "refs/tags/";
  if (full_ref.starts_with(kHeads) && full_ref.size() > kHeads.size()) {
    return Ref{RefKind::kBranch, std::string(full_ref.substr(kHeads.size()))};
  }
  if (full_ref.starts_with(kTags) && full_ref.size() > kTags.size()) {
    return Ref{RefKind::kTag, std::string(full_ref.substr(kTags.size()))};
  }
  return std::nullopt;
}

bool is_zero_sha(std::string_view sha) {
  return !sha.empty() && std::all_of(sha.begin(), sha.end(), [](char c) { return c == '0'; });
}

bool is_object_id(std::string_view sha) {
  if (sha.size() != 40 && sha.size() != 64) return false;
  return std::all_of(sha.begin(), sha.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace juanie::pipelines
