#pragma once

#include <string>
#include <vector>

namespace juanie::daemon {

// `juanie exec [DIR] [--branch B] [--backend bwrap] [--keep]`: runs the pipeline of the commit
// checked out in DIR exactly as the daemon runs a step — a fresh workspace with that commit's
// files, the bubblewrap sandbox, the same variables and limits — printing progress and
// output. Exit code 0 when every step passed, 1 when one failed, 2 for usage errors.
int run_exec(const std::vector<std::string>& args);

}  // namespace juanie::daemon
