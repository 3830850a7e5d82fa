#include "daemon/api/log_tail.hpp"

#include <algorithm>

#include "daemon/store/run_lifecycle.hpp"
#include "daemon/store/runs.hpp"
#include "daemon/store/step_logs.hpp"
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
  failed_ = false;
  auto steps = reader_.with([&](store::Database& db) { return store::list_steps(db, run_); });
  if (!steps) {
    failed_ = true;  // asked again at the next look; nothing is taken for an end meanwhile
    return {};
  }
  // A run queued again (a restart, a lost lease) starts its steps over, here or on another
  // node: a step told of is gone, or began anew. What was told no longer matches the store.
  for (const auto& [index, p] : progress_) {
    const auto it = std::find_if(steps->begin(), steps->end(),
                                 [index](const auto& s) { return s.index == index; });
    if (p.opened && (it == steps->end() || (p.started_at && it->started_at != p.started_at))) {
      restarted_ = true;
      return {};
    }
  }
  std::vector<LogEvent> out;
  for (const auto& step : *steps) {
    auto& p = progress_[step.index];
    if (p.closed) continue;  // told to its end: not read again
    if (!p.opened) {
      out.push_back({LogEvent::Kind::kStepStarted, step.index, step.name, "", std::nullopt, ""});
      p.opened = true;
      p.started_at = step.started_at;
    }
    if (step.log) {
      if (!p.placed) {
        auto size =
            reader_.with([&](store::Database& db) { return store::step_log_size(db, run_, step); });
        if (size && (*size > 0 || step.state != pipelines::StepState::kRunning)) {
          p.placed = true;
          if (tail_ > 0 && *size > tail_) {
            p.offset = *size - tail_ - 1;
            p.peek = true;
          }
        }
      }
      auto read = reader_.with([&](store::Database& db) {
        return store::read_step_log(db, run_, step, p.offset, kMaxChunk);
      });
      if (!read) {
        failed_ = true;  // not the log's end: read on from here at the next look
        more_ = true;
        return out;
      }
      std::string buf = std::move(*read);
      p.offset += buf.size();
      if (p.peek && !buf.empty()) {
        p.mid_line = buf.front() != '\n';
        buf.erase(0, 1);
        p.peek = false;
      }
      if (p.mid_line && !buf.empty()) {
        buf.erase(0, clean_start(buf));
        p.mid_line = false;
      }
      if (!buf.empty()) {
        // One step's bytes at a time keeps them in order.
        out.push_back(
            {LogEvent::Kind::kOutput, step.index, step.name, "", std::nullopt, std::move(buf)});
        more_ = true;
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

bool LogTail::worth_a_look() {
  if (!bell_) return true;
  const auto now = std::chrono::steady_clock::now();
  const auto heard = bell_->generation(run_);
  if (!more_ && heard == heard_ && now - looked_ < kUnrungLook) return false;
  // Taken before the look: a ring during it brings the next.
  heard_ = heard;
  looked_ = now;
  more_ = false;
  return true;
}

std::vector<LogEvent> LogTail::poll() {
  if (ended_ || !worth_a_look()) return {};
  auto out = read_new();
  if (!out.empty() || failed_) {
    more_ = more_ || !out.empty();  // step events too: look again at once
    return out;
  }
  auto run = reader_.with([&](store::Database& db) { return store::find_run(db, run_); });
  if (!run) return out;  // unreadable now: asked again later
  if (!*run) {
    ended_ = true;  // gone: nothing more will come
    return {};
  }
  if (restarted_) {
    // This view ends, saying why; a new one (the page reloads) follows the new attempt.
    out.push_back({LogEvent::Kind::kRunEnded, -1, "",
                   std::string(pipelines::to_string((*run)->state)),
                   std::string("started again (a restart or a lost lease queued it again); "
                               "follow it anew for its new attempt"),
                   ""});
    ended_ = true;
    return out;
  }
  if (pipelines::is_final((*run)->state)) {
    // Everything written before the run ended is stored: read on to its end (one step's
    // bytes at a time), then the end.
    out = read_new();
    if (failed_ || std::any_of(out.begin(), out.end(), [](const LogEvent& e) {
          return e.kind == LogEvent::Kind::kOutput;
        })) {
      more_ = true;
      return out;
    }
    if (restarted_) return out;  // told at the next look
    out.push_back({LogEvent::Kind::kRunEnded, -1, "",
                   std::string(pipelines::to_string((*run)->state)), (*run)->reason, ""});
    ended_ = true;
  }
  return out;
}

}  // namespace juanie::daemon::api
