#include "daemon/api/log_tail.hpp"

#include <algorithm>
#include <fstream>

#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "pipelines/state_machines.hpp"

namespace juanie::daemon::api {
namespace {
constexpr std::size_t kMaxChunk = 64 * 1024;
}

std::size_t clean_start(std::string_view tail) {
  // Only a near line end: a log of one long line still shows its end.
  const auto newline = tail.substr(0, kCleanStartReach).find('\n');
  if (newline != std::string_view::npos) return newline + 1;
  std::size_t at = 0;
  while (at < tail.size() && (static_cast<unsigned char>(tail[at]) & 0xC0) == 0x80) ++at;
  return at;
}

std::vector<LogEvent> LogTail::read_new() {
  auto steps = reader_.with([&](store::Database& db) { return store::list_steps(db, run_); });
  if (!steps) return {};
  std::vector<LogEvent> out;
  for (const auto& step : *steps) {
    auto& p = progress_[step.index];
    if (!p.opened) {
      out.push_back({LogEvent::Kind::kStepStarted, step.index, step.name, "", std::nullopt, ""});
      p.opened = true;
    }
    if (step.log) {
      std::ifstream in(*step.log, std::ios::binary | std::ios::ate);
      if (!p.placed && in) {
        p.placed = true;
        const auto size = static_cast<std::uint64_t>(std::max<std::streamoff>(in.tellg(), 0));
        if (tail_ > 0 && size > tail_) {
          p.offset = size - tail_;
          in.seekg(static_cast<std::streamoff>(p.offset - 1));
          p.mid_line = in.get() != '\n';
        }
      }
      in.seekg(static_cast<std::streamoff>(p.offset));
      std::string buf(kMaxChunk, '\0');
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.resize(static_cast<std::size_t>(in.gcount()));
      p.offset += buf.size();
      if (p.mid_line && !buf.empty()) {
        buf.erase(0, clean_start(buf));
        p.mid_line = false;
      }
      if (!buf.empty()) {
        // One step's bytes at a time keeps them in order.
        out.push_back(
            {LogEvent::Kind::kOutput, step.index, step.name, "", std::nullopt, std::move(buf)});
        return out;
      }
    }
    if (step.state == pipelines::StepState::kRunning) return out;  // later steps have not started
    if (!p.closed) {
      out.push_back({LogEvent::Kind::kStepEnded, step.index, step.name,
                     std::string(pipelines::to_string(step.state)), step.reason, ""});
      p.closed = true;
    }
  }
  return out;
}

std::vector<LogEvent> LogTail::poll() {
  if (ended_) return {};
  auto out = read_new();
  if (!out.empty()) return out;
  auto run = reader_.with([&](store::Database& db) { return store::find_run(db, run_); });
  if (!run || !*run) {
    ended_ = true;  // gone (or unreadable): nothing more will come
    return {};
  }
  if (pipelines::is_final((*run)->state)) {
    // Everything written before the run ended is on disk: one last read, then the end.
    out = read_new();
    out.push_back({LogEvent::Kind::kRunEnded, -1, "",
                   std::string(pipelines::to_string((*run)->state)), (*run)->reason, ""});
    ended_ = true;
  }
  return out;
}

}  // namespace juanie::daemon::api
