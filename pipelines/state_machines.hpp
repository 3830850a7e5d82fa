#pragma once

#include <iosfwd>
#include <optional>
#include <string_view>

#include "pipelines/error.hpp"

// The lifecycles of DESIGN.md as transition tables. A store asks `transition` before it
// writes a new state, so an illegal move is an error and never a row.
namespace juanie::pipelines {

enum class RunState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
enum class DeploymentState {
  kPending,
  kAwaitingApproval,
  kRunning,
  kDeploying,  // committed; waiting for Flux to say how the rollout went
  kSuccess,
  kFailed,
  kRolledBack,
  kCancelled
};
// A step of a run: not a transition table (the runner moves it once, running → an end), but a
// closed set all the same.
enum class StepState { kRunning, kSucceeded, kFailed, kSkipped, kCancelled };
enum class EnvironmentState { kCreating, kActive, kUpdating, kDeleting, kDeleted, kFailed };
enum class ProjectState { kInitializing, kActive, kArchived, kFailed, kSuspended };

std::string_view to_string(RunState state);
std::string_view to_string(DeploymentState state);
std::string_view to_string(StepState state);
std::string_view to_string(EnvironmentState state);
std::string_view to_string(ProjectState state);

std::optional<RunState> parse_run_state(std::string_view text);
std::optional<DeploymentState> parse_deployment_state(std::string_view text);
std::optional<StepState> parse_step_state(std::string_view text);
std::optional<EnvironmentState> parse_environment_state(std::string_view text);
std::optional<ProjectState> parse_project_state(std::string_view text);

bool can_transition(RunState from, RunState to);
bool can_transition(DeploymentState from, DeploymentState to);
bool can_transition(EnvironmentState from, EnvironmentState to);
bool can_transition(ProjectState from, ProjectState to);

bool is_final(RunState state);

// The names above, so a failed expectation reads "failed", not 3.
std::ostream& operator<<(std::ostream& out, RunState state);
std::ostream& operator<<(std::ostream& out, DeploymentState state);
std::ostream& operator<<(std::ostream& out, StepState state);

// `to` when the table allows the move, otherwise an error naming both states.
template <typename State>
Result<State> transition(State from, State to) {
  if (can_transition(from, to)) return to;
  return fail("illegal transition " + std::string(to_string(from)) + " → " +
              std::string(to_string(to)));
}

}  // namespace juanie::pipelines
