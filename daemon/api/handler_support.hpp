#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "daemon/api/runs_json.hpp"
#include "daemon/store/reader.hpp"

namespace juanie::daemon::api {

// The id in a path segment ("42"): a positive decimal with nothing around it, else nullopt.
std::optional<std::int64_t> parse_id(std::string_view text);

// The recorded approvals of each deployment of `list` that has any.
Result<ApprovalsById> approvals_by_id(store::Reader& reader,
                                      const std::vector<store::DeploymentRecord>& list);

}  // namespace juanie::daemon::api
