#pragma once

#include <string>
#include <vector>

namespace juanie::test {

// The command lines of every process now (arguments joined by NUL, as /proc shows them). A
// process that exits while being read is skipped, not an error.
std::vector<std::string> command_lines();

// Whether any process's command line contains `marker`.
bool process_with_marker_exists(const std::string& marker);

}  // namespace juanie::test
