#include "daemon/api/rollback_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace juanie::daemon::api {

namespace json = boost::json;

Result<RollbackTarget> parse_rollback_body(std::string_view body) {
  RollbackTarget target;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return target;
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec) return fail(ErrorKind::kInvalid, "the body is not JSON: " + ec.message());
  if (!v.is_object()) {
    return fail(ErrorKind::kInvalid,
                "the body must be a JSON object: {}, {\"to\": \"TAG\"} or {\"deployment\": ID}");
  }
  const auto& o = v.as_object();
  for (const auto& field : o) {
    if (field.key() != "to" && field.key() != "deployment") {
      return fail(ErrorKind::kInvalid, "unknown field \"" + std::string(field.key()) +
                                           "\" (only \"to\" or \"deployment\")");
    }
  }
  if (o.contains("to") && o.contains("deployment")) {
    return fail(ErrorKind::kInvalid, "give \"to\" (a tag) or \"deployment\" (an id), not both");
  }
  if (const auto* to = o.if_contains("to")) {
    if (!to->is_string() || to->as_string().empty() || to->as_string().size() > 128) {
      return fail(ErrorKind::kInvalid, "field \"to\" must be an image tag (a non-empty string)");
    }
    target.tag = std::string(to->as_string());
  }
  if (const auto* id = o.if_contains("deployment")) {
    if (!id->is_int64() || id->as_int64() <= 0) {
      return fail(ErrorKind::kInvalid, "field \"deployment\" must be a positive integer");
    }
    target.deployment = id->as_int64();
  }
  return target;
}

std::vector<std::string_view> project_path_parts(std::string_view path) {
  constexpr std::string_view kPrefix = "/api/v1/projects/";
  if (!path.starts_with(kPrefix)) return {};
  path.remove_prefix(kPrefix.size());
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (part.empty()) return {};
    parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
    if (path.empty()) return {};  // a trailing '/'
  }
  return parts;
}

}  // namespace juanie::daemon::api
