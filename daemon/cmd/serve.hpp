#pragma once

#include <filesystem>

namespace juanie::daemon {

// `juanie serve`: the composition root. Builds every long-lived object, serves until SIGTERM
// or SIGINT, reloads projects on SIGHUP. Returns the process exit code.
int serve(const std::filesystem::path& config_file);

}  // namespace juanie::daemon
