#pragma once

#include <string>
#include <utility>
#include <vector>

namespace juanie::test {

// A pull or merge request delivery made from the forge's documented example (tests/data, see
// its README), with what a test needs set: the request's number, head commit and action, the
// repository it is for, and whether its head is a fork's.
struct PullRequestSpec {
  int number = 1;
  std::string sha;
  std::string action;  // in the forge's words: opened, synchronize, open, update, synchronized…
  bool fork = false;
  // owner/name (GitLab: the whole namespace path) of the project's repository; empty: the
  // example's own.
  std::string repository;
};

struct Delivery {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // signed as the forge signs
};

// `forge`: github | gitlab | gitea.
Delivery pull_request_delivery(const std::string& forge, const PullRequestSpec& spec,
                               const std::string& delivery_id);

}  // namespace juanie::test
