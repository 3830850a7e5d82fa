#pragma once

#include <string>
#include <vector>

namespace juanie::test {

// The command lines of every process now (arguments joined by NUL, as /proc shows them). A
// process that exits while being read is skipped, not an error.
std::vector<std::string> command_lines();

// Whether any process's command line contains `marker`.
bool process_with_marker_exists(const std::string& marker);

// Sends SIGKILL to every process whose command line is exactly `argv` (arguments joined by
// NUL); how many there were.
int kill_processes_running(const std::vector<std::string>& argv);

}  // namespace juanie::test
