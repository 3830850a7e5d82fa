#pragma once

#include <filesystem>

#include "daemon/config/daemon_config.hpp"
#include "daemon/config/project_config.hpp"
#include "pipelines/error.hpp"
#include "runner/git_credentials.hpp"

namespace juanie::daemon {

// The credentials `access` names, read from secrets_dir now (so a rotated token is used by the
// next fetch without a reload). An unreadable file is an error naming the config field.
Result<runner::GitCredentials> read_git_credentials(const config::SecretsDir& secrets_dir,
                                                    const config::GitAccess& access);

}  // namespace juanie::daemon
