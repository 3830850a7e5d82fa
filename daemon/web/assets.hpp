#pragma once

#include <string_view>

namespace juanie::daemon::web {

// /assets/juanie.js: the status page's one script, compiled into the binary (no framework, no
// CDN). It refreshes the run list at / from /runs/table, and on a live run's page follows
// /runs/{id}/events, appending each step's coloured lines as they come. Without it every
// page still reads whole; it only saves the reload.
extern const std::string_view kJuanieJs;

}  // namespace juanie::daemon::web
