#pragma once

#include <string>

namespace juanie::runner {

// `name` as an absolute path by the daemon's PATH (a name with a '/' as it is; one found
// nowhere as it is, for the exec to report).
std::string program_path(const std::string& name);

}  // namespace juanie::runner
