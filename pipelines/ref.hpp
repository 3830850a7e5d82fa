#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace juanie::pipelines {

enum class RefKind { kBranch, kTag };

struct Ref {
  RefKind kind;
  std::string name;  // "feature/x" for refs/heads/feature/x
};

// refs/heads/<name> or refs/tags/<name>; anything else (notes, merge requests) is not a ref
// a pipeline runs for.
std::optional<Ref> parse_ref(std::string_view full_ref);

// Git's forty-zero object id: the `after` of a deletion, the `before` of a creation.
bool is_zero_sha(std::string_view sha);

// A full SHA-1 or SHA-256 object id in lowercase hex.
bool is_object_id(std::string_view sha);

}  // namespace juanie::pipelines
