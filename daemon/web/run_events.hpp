#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/api/log_tail.hpp"
#include "daemon/http/message.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/web/ansi_html.hpp"
#include "daemon/web/sessions.hpp"
#include "daemon/web/stream_slots.hpp"

namespace juanie::daemon::web {

// The Server-Sent Events of what a run's log gained (pure: events in, text/event-stream out):
//   event: step  data: {"index", "name", "state"}        a step began ("running") or ended
//   event: log   data: INDEX, then the step's new output as HTML (ansi_html), one data: line
//                per line
//   event: end   data: {"state", "reason"}                the run ended; nothing follows
std::string sse_events(const std::vector<api::LogEvent>& events,
                       std::map<int, AnsiHtml>& renderers);

// `GET /runs/{id}/events`: a LogTail as Server-Sent Events, for the page's script. It ends
// when the run has ended (after the `end` event), when its session is signed out or expires,
// and when the daemon drains; while nothing happens a comment goes out every ~15 s, so a
// browser that went away is noticed and its slot freed.
class RunEvents final : public http::ResponseStream {
 public:
  RunEvents(store::Reader& reader, std::int64_t run, Sessions& sessions, std::string session_id,
            const Clock& clock, StreamSlots::Slot slot)
      : tail_(reader, run),
        sessions_(sessions),
        session_id_(std::move(session_id)),
        clock_(clock),
        slot_(std::move(slot)) {}
  std::optional<std::string> next() override;

 private:
  api::LogTail tail_;
  Sessions& sessions_;
  std::string session_id_;
  const Clock& clock_;
  StreamSlots::Slot slot_;
  std::map<int, AnsiHtml> renderers_;
  int idle_polls_ = 0;
};

}  // namespace juanie::daemon::web
