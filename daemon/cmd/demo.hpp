#pragma once

#include <string>
#include <vector>

namespace juanie::daemon {

// `juanie demo`: a daemon on a temporary home with an example project, two signed GitHub
// pushes (develop and main), and the runs they queued. Returns the exit code.
int run_demo(const std::vector<std::string>& args);

}  // namespace juanie::daemon
