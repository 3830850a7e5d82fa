#pragma once

#include <string>
#include <vector>

namespace juanie::daemon {

// juanie rollback (--config FILE | --url URL) [--token-file FILE] PROJECT ENV [--to TAG|ID]
// A client of the running daemon's API: POST /api/v1/projects/{p}/environments/{e}/rollback.
int run_rollback(const std::vector<std::string>& args);

}  // namespace juanie::daemon
