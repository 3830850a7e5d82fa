#pragma once

#include "pipelines/error.hpp"

namespace juanie::daemon::api {

// The HTTP status an API answer gives an error of `kind`: the caller's fault (4xx) only where
// the kind says so; anything else (the store, a remote, a full queue) is a 503, to retry.
inline int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid:
      return 422;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kFailed:
    case ErrorKind::kUnavailable:
      break;
  }
  return 503;
}

}  // namespace juanie::daemon::api
