#pragma once

#include <string>
#include <utility>

namespace juanie::test {

// Runs `command` with /bin/sh, its stderr merged into its stdout: the output, and the exit
// status in `status` (128 when a signal ended it).
std::string sh(const std::string& command, int* status = nullptr);

// The same, as (exit status, output) for a structured binding.
std::pair<int, std::string> sh_with_status(const std::string& command);

}  // namespace juanie::test
