#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace juanie::daemon {

// The keys an operator filters the daemon's log by (`journalctl -u juanie | grep 'run=12 '`):
// a fixed set, so their names stay stable across releases. Empty or unset keys are left out.
struct LogKeys {
  std::optional<std::int64_t> run;
  std::optional<std::int64_t> deployment;
  std::string_view project;
  std::string_view environment;
  std::string_view delivery;
};

// An optional key's value as LogKeys holds it.
inline std::string_view or_empty(const std::optional<std::string>& value) {
  return value ? std::string_view(*value) : std::string_view();
}

enum class LogLevel { kInfo, kWarning, kError };

// One logfmt line, newline included: `juanie: level=info run=12 project=shop msg="…"`.
// Values are quoted when they need it and every control character is escaped, so text a
// stranger chose (a path, a ref, a header) can neither break the line in two nor forge
// another; a password in a URL's userinfo is masked should one ever reach a message.
std::string format_log_line(LogLevel level, const LogKeys& keys, std::string_view message);

// `value` as a logfmt value: bare when it is a plain token, else double-quoted and escaped.
std::string logfmt_value(std::string_view value);

// `text` with the credentials of every URL masked: the whole userinfo of an http(s) URL (a
// token works as its user name), the password of any other (`ssh://git:***@…`).
std::string mask_url_credentials(std::string_view text);

}  // namespace juanie::daemon
