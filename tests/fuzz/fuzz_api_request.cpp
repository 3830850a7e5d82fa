// An API request from a token holder: the first line is the request target (path and query),
// the rest the body. The page parameters, the start-run and rollback bodies and the project
// path must be refused with a reason
// or read within their bounds, never crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/api/paging.hpp"
#include "daemon/api/rollback_body.hpp"
#include "daemon/api/start_run.hpp"

using namespace juanie::daemon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  http::Request req;
  req.method = "GET";
  req.target = input.substr(0, newline);
  req.body = newline == std::string::npos ? "" : input.substr(newline + 1);
  if (auto page = api::parse_page(req)) {
    if (page->limit < 1 || page->limit > 1000) std::abort();
    if (page->before && *page->before <= 0) std::abort();
  }
  if (auto ref = api::parse_start_run_body(req.body)) {
    if (ref->empty()) std::abort();
  }
  if (auto target = api::parse_rollback_body(req.body)) {
    if (target->tag && target->deployment) std::abort();
    if (target->deployment && *target->deployment <= 0) std::abort();
    if (target->tag && target->tag->empty()) std::abort();
  }
  for (auto part : api::project_path_parts(req.target)) {
    if (part.empty() || part.find('/') != std::string::npos) std::abort();
  }
  const auto project = api::start_run_project(req.target);
  if (project.find('/') != std::string::npos) std::abort();
  return 0;
}
