#include "daemon/api/log_follower.hpp"

#include <fstream>

#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "pipelines/state_machines.hpp"

namespace juanie::daemon::api {
namespace {
constexpr std::size_t kMaxChunk = 64 * 1024;
}

std::string step_header(const std::string& name, const std::string& state,
                        const std::optional<std::string>& reason) {
  return "── " + name + " (" + state + (reason ? ": " + *reason : "") + ")\n";
}

std::string LogFollower::read_new() {
  auto steps = reader_.with([&](store::Database& db) { return store::list_steps(db, run_); });
  if (!steps) return {};
  std::string out;
  for (const auto& step : *steps) {
    auto& p = progress_[step.index];
    if (!p.opened) {
      out += "── " + step.name + "\n";
      p.opened = true;
    }
    if (step.log) {
      std::ifstream in(*step.log, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(p.offset));
      std::string buf(kMaxChunk, '\0');
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.resize(static_cast<std::size_t>(in.gcount()));
      p.offset += buf.size();
      out += buf;
      if (!buf.empty()) return out;  // one step's bytes at a time keeps them in order
    }
    if (step.state == pipelines::StepState::kRunning) return out;  // later steps have not started
    if (!p.closed) {
      out += "── " + step.name + " " + std::string(pipelines::to_string(step.state)) +
             (step.reason ? ": " + *step.reason : "") + "\n";
      p.closed = true;
    }
  }
  return out;
}

std::optional<std::string> LogFollower::next() {
  if (ended_) return std::nullopt;
  std::string out = read_new();
  if (!out.empty()) return out;
  auto run = reader_.with([&](store::Database& db) { return store::find_run(db, run_); });
  if (!run || !*run) return std::nullopt;
  if (pipelines::is_final((*run)->state)) {
    // Everything written before the run ended is on disk: one last read, then the end.
    out = read_new();
    out += "── run " + std::to_string(run_) + " " +
           std::string(pipelines::to_string((*run)->state)) +
           ((*run)->reason ? ": " + *(*run)->reason : "") + "\n";
    ended_ = true;
    return out;
  }
  return std::string();
}

}  // namespace juanie::daemon::api
