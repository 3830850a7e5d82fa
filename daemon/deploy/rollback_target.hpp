#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace juanie::daemon {

// What a rollback restores: the environment's previous successful deployment unless one is
// named.
struct RollbackTarget {
  std::optional<std::string> tag;          // the newest successful deployment of this tag
  std::optional<std::int64_t> deployment;  // this successful deployment
};

}  // namespace juanie::daemon
