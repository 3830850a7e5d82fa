#include "pipelines/state_machines.hpp"

#include <array>
#include <ostream>
#include <utility>

namespace juanie::pipelines {
namespace {

template <typename State, std::size_t N>
using Names = std::array<std::pair<State, std::string_view>, N>;

constexpr Names<RunState, 5> kRunNames{{{RunState::kQueued, "queued"},
                                        {RunState::kRunning, "running"},
                                        {RunState::kSucceeded, "succeeded"},
                                        {RunState::kFailed, "failed"},
                                        {RunState::kCancelled, "cancelled"}}};

constexpr Names<DeploymentState, 8> kDeploymentNames{
    {{DeploymentState::kPending, "pending"},
     {DeploymentState::kAwaitingApproval, "awaiting_approval"},
     {DeploymentState::kRunning, "running"},
     {DeploymentState::kDeploying, "deploying"},
     {DeploymentState::kSuccess, "success"},
     {DeploymentState::kFailed, "failed"},
     {DeploymentState::kRolledBack, "rolled_back"},
     {DeploymentState::kCancelled, "cancelled"}}};

constexpr Names<StepState, 5> kStepNames{{{StepState::kRunning, "running"},
                                          {StepState::kSucceeded, "succeeded"},
                                          {StepState::kFailed, "failed"},
                                          {StepState::kSkipped, "skipped"},
                                          {StepState::kCancelled, "cancelled"}}};

constexpr Names<EnvironmentState, 6> kEnvironmentNames{{{EnvironmentState::kCreating, "creating"},
                                                        {EnvironmentState::kActive, "active"},
                                                        {EnvironmentState::kUpdating, "updating"},
                                                        {EnvironmentState::kDeleting, "deleting"},
                                                        {EnvironmentState::kDeleted, "deleted"},
                                                        {EnvironmentState::kFailed, "failed"}}};

constexpr Names<ProjectState, 5> kProjectNames{{{ProjectState::kInitializing, "initializing"},
                                                {ProjectState::kActive, "active"},
                                                {ProjectState::kArchived, "archived"},
                                                {ProjectState::kFailed, "failed"},
                                                {ProjectState::kSuspended, "suspended"}}};

template <typename State, std::size_t N>
std::string_view name_of(const Names<State, N>& names, State state) {
  for (const auto& [s, name] : names) {
    if (s == state) return name;
  }
  return "unknown";
}

template <typename State, std::size_t N>
std::optional<State> parse(const Names<State, N>& names, std::string_view text) {
  for (const auto& [s, name] : names) {
    if (name == text) return s;
  }
  return std::nullopt;
}

template <typename State>
using Edge = std::pair<State, State>;

template <typename State, std::size_t N>
bool allowed(const std::array<Edge<State>, N>& edges, State from, State to) {
  for (const auto& [f, t] : edges) {
    if (f == from && t == to) return true;
  }
  return false;
}

using R = RunState;
// running → queued is crash recovery: a run found running at start is queued again.
constexpr std::array<Edge<R>, 7> kRunEdges{{{R::kQueued, R::kRunning},
                                            {R::kQueued, R::kCancelled},
                                            {R::kRunning, R::kSucceeded},
                                            {R::kRunning, R::kFailed},
                                            {R::kRunning, R::kCancelled},
                                            {R::kRunning, R::kQueued},
                                            {R::kQueued, R::kFailed}}};

using D = DeploymentState;
constexpr std::array<Edge<D>, 11> kDeploymentEdges{{{D::kPending, D::kAwaitingApproval},
                                                    {D::kPending, D::kRunning},
                                                    {D::kAwaitingApproval, D::kRunning},
                                                    {D::kRunning, D::kSuccess},
                                                    {D::kRunning, D::kFailed},
                                                    {D::kRunning, D::kDeploying},
                                                    {D::kDeploying, D::kSuccess},
                                                    {D::kDeploying, D::kFailed},
                                                    {D::kFailed, D::kRolledBack},
                                                    {D::kPending, D::kCancelled},
                                                    {D::kAwaitingApproval, D::kCancelled}}};

using E = EnvironmentState;
constexpr std::array<Edge<E>, 6> kEnvironmentEdges{{{E::kCreating, E::kActive},
                                                    {E::kCreating, E::kFailed},
                                                    {E::kActive, E::kUpdating},
                                                    {E::kUpdating, E::kActive},
                                                    {E::kActive, E::kDeleting},
                                                    {E::kDeleting, E::kDeleted}}};

using P = ProjectState;
constexpr std::array<Edge<P>, 5> kProjectEdges{{{P::kInitializing, P::kActive},
                                                {P::kInitializing, P::kFailed},
                                                {P::kActive, P::kArchived},
                                                {P::kActive, P::kSuspended},
                                                {P::kSuspended, P::kActive}}};

}  // namespace

std::string_view to_string(RunState s) {
  return name_of(kRunNames, s);
}
std::string_view to_string(DeploymentState s) {
  return name_of(kDeploymentNames, s);
}
std::string_view to_string(StepState s) {
  return name_of(kStepNames, s);
}
std::string_view to_string(EnvironmentState s) {
  return name_of(kEnvironmentNames, s);
}
std::string_view to_string(ProjectState s) {
  return name_of(kProjectNames, s);
}

std::optional<RunState> parse_run_state(std::string_view t) {
  return parse(kRunNames, t);
}
std::optional<DeploymentState> parse_deployment_state(std::string_view t) {
  return parse(kDeploymentNames, t);
}
std::optional<StepState> parse_step_state(std::string_view t) {
  return parse(kStepNames, t);
}
std::optional<EnvironmentState> parse_environment_state(std::string_view t) {
  return parse(kEnvironmentNames, t);
}
std::optional<ProjectState> parse_project_state(std::string_view t) {
  return parse(kProjectNames, t);
}

bool can_transition(RunState f, RunState t) {
  return allowed(kRunEdges, f, t);
}
bool can_transition(DeploymentState f, DeploymentState t) {
  return allowed(kDeploymentEdges, f, t);
}
bool can_transition(EnvironmentState f, EnvironmentState t) {
  return allowed(kEnvironmentEdges, f, t);
}
bool can_transition(ProjectState f, ProjectState t) {
  return allowed(kProjectEdges, f, t);
}

bool is_final(RunState s) {
  return s == RunState::kSucceeded || s == RunState::kFailed || s == RunState::kCancelled;
}

std::ostream& operator<<(std::ostream& out, RunState s) {
  return out << to_string(s);
}
std::ostream& operator<<(std::ostream& out, DeploymentState s) {
  return out << to_string(s);
}
std::ostream& operator<<(std::ostream& out, StepState s) {
  return out << to_string(s);
}

}  // namespace juanie::pipelines
