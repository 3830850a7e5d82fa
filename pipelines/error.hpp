#pragma once

#include <expected>
#include <string>

namespace juanie {

// What kind of failure an Error is, so a caller decides (an HTTP status, a retry) on the kind
// and never on the message's wording.
enum class ErrorKind {
  kFailed,       // nothing more specific: the operation did not succeed
  kInvalid,      // the input is wrong (a parse error, a bad field)
  kNotFound,     // what was named does not exist
  kConflict,     // the thing exists but its state forbids this now (already decided, running)
  kForbidden,    // this caller may not do this
  kUnavailable,  // a dependency (remote, disk, database) failed: trying later may succeed
};

// An expected failure: a message a person can act on. Where the input came from a file, the
// message already names the file, line and field.
struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::kFailed;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) {
  return std::unexpected<Error>(Error{std::move(message)});
}

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected<Error>(Error{std::move(message), kind});
}

}  // namespace juanie
