#pragma once

#include <string_view>
#include <vector>

#include "daemon/deploy/rollback_target.hpp"
#include "pipelines/error.hpp"

namespace juanie::daemon::api {

// The body of `POST /api/v1/projects/{p}/environments/{e}/rollback`: empty or `{}` (the
// environment's previous good image), `{"to": "TAG"}` or `{"deployment": ID}`. Anything else
// is a kInvalid error saying what.
Result<RollbackTarget> parse_rollback_body(std::string_view body);

// "/api/v1/projects/shop-api/environments/dev/rollback" → {"shop-api", "environments", "dev",
// "rollback"}: the path's parts after /api/v1/projects/ (empty parts refused: none returned).
std::vector<std::string_view> project_path_parts(std::string_view path);

}  // namespace juanie::daemon::api
