#pragma once

#include <string>
#include <vector>

namespace juanie::daemon {

// Parses the command line and runs the command; returns the exit code.
int run_cli(const std::vector<std::string>& args);

}  // namespace juanie::daemon
