#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace juanie::daemon::web {

// /projects/{p} as a pure function of what it shows: per environment what it runs and how its
// rollout went, the approvals waiting, the newest runs, and the two forms a person may use
// here (start a manual run; trigger a deployment that waits for its trigger).

struct EnvironmentRow {
  std::string name;
  std::string approval;                 // none | optional | required
  std::string state;                    // creating | active | updating | degraded
  std::optional<std::int64_t> current;  // the deployment the overlay names now
  std::string image;                    // image:tag of `current`
  std::string current_state;            // deploying | success | failed
  std::string since;
  std::optional<std::int64_t> in_flight;  // waiting or under way
  std::string in_flight_state;
  std::string in_flight_tag;
  std::optional<std::int64_t> last_rollout;
  std::string last_rollout_state;
  std::string last_rollout_reason;
  std::optional<std::int64_t> to_trigger;  // pending, waiting for its trigger
  std::string to_trigger_tag;
};

struct WaitingRow {
  std::int64_t deployment = 0;
  std::string environment;
  std::string tag;
  int approvals = 0;
  int required = 0;
  std::string expires_at;
};

struct ProjectRunRow {
  std::int64_t id = 0;
  std::string branch;
  std::string sha;
  std::string subject;
  std::string environment;
  std::string state;
  std::string trigger;
  std::string pusher;
  std::string created_at;
};

struct ProjectView {
  std::string signed_in_as;
  std::string csrf;
  std::string project;
  std::vector<EnvironmentRow> environments;
  std::vector<WaitingRow> waiting;
  std::vector<ProjectRunRow> runs;  // newest first
  std::string problem;              // a refused action: the API's sentence
  std::string ref;                  // the ref last typed, kept in the form after a problem
};

std::string project_page(const ProjectView& v);

}  // namespace juanie::daemon::web
