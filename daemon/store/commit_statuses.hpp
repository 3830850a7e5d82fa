#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/database.hpp"

// The store's side of commit statuses: which projects report (the triggers of migration 14
// enqueue a status only for them) and how the forge took a run's newest status.
namespace juanie::daemon::store {

// Replaces the list: the projects in force that have repo.status_token.
Result<void> set_status_projects(Database& db, const std::vector<std::string>& projects);

// `report` is JSON ({"state": "delivered" | "retrying" | "refused" | "abandoned", "reason"}).
Result<void> set_status_report(Database& db, std::int64_t run, const std::string& report);
Result<std::optional<std::string>> status_report(Database& db, std::int64_t run);

}  // namespace juanie::daemon::store
