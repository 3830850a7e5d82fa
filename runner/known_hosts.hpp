#pragma once

#include <string>
#include <string_view>

namespace juanie::runner {

// Whether an OpenSSH known_hosts text lists `key` (the raw host key blob, as the server sent
// it) for `host`. Host patterns are plain names or `[name]:port`, comma-separated; hashed
// names (`|1|...`, ssh-keyscan -H), wildcards, markers (@cert-authority, @revoked) and
// comments never match. Pure.
bool known_host_key(std::string_view known_hosts, std::string_view host, std::string_view key);

}  // namespace juanie::runner
