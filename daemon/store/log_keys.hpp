#pragma once

#include "daemon/store/deployments.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/support/log_line.hpp"

namespace juanie::daemon::store {

// The log keys of a record (views into it: it must outlive the line).
inline LogKeys keys_of(const RunRecord& r) {
  return {.run = r.id,
          .project = r.project,
          .environment = or_empty(r.environment),
          .delivery = or_empty(r.delivery)};
}

inline LogKeys keys_of(const DeploymentRecord& d) {
  return {.run = d.run, .deployment = d.id, .project = d.project, .environment = d.environment};
}

}  // namespace juanie::daemon::store
