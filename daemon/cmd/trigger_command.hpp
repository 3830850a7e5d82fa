#pragma once

#include <string>
#include <vector>

namespace juanie::daemon {

// juanie trigger (--config FILE | --url URL) [--token-file FILE] (PROJECT REF | --deployment N)
// A client of the running daemon's API (it writes no database): releases the newest pending
// deployment of REF, or with none pending starts a run of REF's head
// (POST /api/v1/projects/{p}/runs). The API token decides who is recorded as the trigger.
int run_trigger(const std::vector<std::string>& args);

}  // namespace juanie::daemon
