#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "pipelines/error.hpp"

namespace juanie::daemon {

// What `juanie validate FILE` checks, by what the file is: a daemon configuration (also loads
// its projects and checks their secret files, as `serve` would), a project file, or a
// pipeline file (.juanie.yml). Returns
// a one-line summary on success.
Result<std::string> validate_file(const std::filesystem::path& file,
                                  std::optional<std::string> credentials_directory);

}  // namespace juanie::daemon
