#pragma once

#include <string>
#include <string_view>

namespace juanie::daemon::api {

// A request path as the log may show it: an approval link's token is a capability (whoever
// holds it can act as its approver until it expires), so it never reaches the log.
std::string loggable_path(std::string_view path);

}  // namespace juanie::daemon::api
