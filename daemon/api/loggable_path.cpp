#include "daemon/api/loggable_path.hpp"

namespace juanie::daemon::api {

std::string loggable_path(std::string_view path) {
  static constexpr std::string_view kApprove = "/approve/";
  if (path.starts_with(kApprove) && path.size() > kApprove.size()) {
    return std::string(kApprove) + "(link withheld)";
  }
  return std::string(path);
}

}  // namespace juanie::daemon::api
