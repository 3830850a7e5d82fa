#pragma once

#include <expected>
#include <string>

namespace juanie {

// An expected failure: a message a person can act on. Where the input came from a file, the
// message already names the file, line and field.
struct Error {
  std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) {
  return std::unexpected<Error>(Error{std::move(message)});
}

}  // namespace juanie
