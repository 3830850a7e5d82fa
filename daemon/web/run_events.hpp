#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/api/log_tail.hpp"
#include "daemon/http/message.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/web/ansi_html.hpp"
#include "daemon/web/log_excerpt.hpp"
#include "daemon/web/sessions.hpp"
#include "daemon/web/stream_slots.hpp"

namespace juanie::daemon::web {

// The Server-Sent Events of what a run's log gained (pure: events in, text/event-stream out):
//   event: step  data: {"index", "name", "state"}        a step began ("running") or ended
//   event: log   data: INDEX, then the step's new output as HTML (ansi_html), one data: line
//                per line
//   event: end   data: {"state", "reason"}                the run ended; nothing follows
// What one stream has sent of each log: a stream carries as much HTML as the run's page would
// (log_excerpt.hpp), then one note per step that its live view stops there.
struct StreamBudget {
  std::int64_t run = 0;  // for the note's link to the whole log
  std::size_t step_html = kStepLogHtml;
  std::size_t total_html = kPageLogHtml;
  std::map<int, std::size_t> sent;  // HTML sent, by step
  std::size_t total = 0;
  std::set<int> stopped;  // steps told that their live view stops
};
std::string sse_events(const std::vector<api::LogEvent>& events, std::map<int, AnsiHtml>& renderers,
                       StreamBudget& budget);
// The `end` event alone: what a stream of a run that has already ended sends.
std::string sse_end(std::string_view state, std::string_view reason);

// `GET /runs/{id}/events`: a LogTail as Server-Sent Events, for the page's script. It ends
// when the run has ended (after the `end` event), when its session is signed out or expires,
// and when the daemon drains; each step's log starts at most kStepLogTail before its end as it
// was when the stream opened, and the stream stops sending a log past its StreamBudget; while
// nothing happens a comment goes out every ~15 s, so a browser that went away is noticed and its
// slot freed.
class RunEvents final : public http::ResponseStream {
 public:
  RunEvents(store::Reader& reader, std::int64_t run, Sessions& sessions, std::string session_id,
            const Clock& clock, StreamSlots::Slot slot, const RunLogBell* bell = nullptr)
      : tail_(reader, run, kStepLogTail, bell),
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
  StreamBudget budget_{.run = tail_.run()};
  int idle_polls_ = 0;
};

}  // namespace juanie::daemon::web
