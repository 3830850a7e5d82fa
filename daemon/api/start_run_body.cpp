#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "daemon/api/start_run.hpp"

namespace juanie::daemon::api {

namespace json = boost::json;

Result<std::string> parse_start_run_body(std::string_view body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec) return fail(ErrorKind::kInvalid, "the body is not JSON: " + ec.message());
  if (!v.is_object())
    return fail(ErrorKind::kInvalid, "the body must be a JSON object: {\"ref\": \"main\"}");
  const auto& o = v.as_object();
  for (const auto& field : o) {
    if (field.key() != "ref") {
      return fail(ErrorKind::kInvalid,
                  "unknown field \"" + std::string(field.key()) + "\" (only \"ref\")");
    }
  }
  const auto* ref = o.if_contains("ref");
  if (!ref) return fail(ErrorKind::kInvalid, "field \"ref\" is required: {\"ref\": \"main\"}");
  if (!ref->is_string() || ref->as_string().empty()) {
    return fail(ErrorKind::kInvalid, "field \"ref\" must be a non-empty string (a branch or tag)");
  }
  return std::string(ref->as_string());
}

std::string_view start_run_project(std::string_view path) {
  constexpr std::string_view kPrefix = "/api/v1/projects/";
  constexpr std::string_view kSuffix = "/runs";
  // The size first: in "/api/v1/projects/runs" the prefix and the suffix overlap.
  if (path.size() <= kPrefix.size() + kSuffix.size() || !path.starts_with(kPrefix) ||
      !path.ends_with(kSuffix)) {
    return {};
  }
  path.remove_prefix(kPrefix.size());
  path.remove_suffix(kSuffix.size());
  if (path.find('/') != std::string_view::npos) return {};
  return path;
}

}  // namespace juanie::daemon::api
