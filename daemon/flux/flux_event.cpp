#include "daemon/flux/flux_event.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>

#include "daemon/support/crypto.hpp"
#include "pipelines/ascii.hpp"
#include "pipelines/encoding.hpp"
#include "pipelines/rollout.hpp"

namespace juanie::daemon::flux {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxText = 4096;

// Cut to kMaxText without leaving half a UTF-8 sequence at the end.
std::string cut(std::string_view text) {
  if (text.size() <= kMaxText) return std::string(text);
  std::size_t end = kMaxText;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

// A string member, or an error naming it; "" when absent and not `required`.
Result<std::string> text_at(const json::object& o, std::string_view key, std::string_view where,
                            bool required) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) {
    if (required) return fail(std::string(where) + std::string(key) + " is missing");
    return std::string();
  }
  if (!v->is_string()) return fail(std::string(where) + std::string(key) + " is not a string");
  return cut(v->get_string());
}

}  // namespace

Result<FluxEvent> parse_flux_event(std::string_view body) {
  boost::system::error_code ec;
  json::value doc = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) return fail("the body is not JSON: " + ec.message());
  if (!doc.is_object()) return fail("the body is not a JSON object");
  const json::object& o = doc.get_object();
  const json::value* involved = o.if_contains("involvedObject");
  if (!involved || !involved->is_object())
    return fail("involvedObject is missing or not an object");
  FluxEvent e;
  const json::object& object = involved->get_object();
  auto take = [](Result<std::string> r, std::string& out) -> Result<void> {
    if (!r) return std::unexpected(r.error());
    out = std::move(*r);
    return {};
  };
  for (auto ok : {take(text_at(object, "kind", "involvedObject.", true), e.kind),
                  take(text_at(object, "name", "involvedObject.", true), e.name),
                  take(text_at(object, "namespace", "involvedObject.", false), e.namespace_),
                  take(text_at(o, "severity", "", true), e.severity),
                  take(text_at(o, "reason", "", true), e.reason),
                  take(text_at(o, "message", "", false), e.message),
                  take(text_at(o, "timestamp", "", false), e.timestamp),
                  take(text_at(o, "reportingController", "", false), e.controller)}) {
    if (!ok) return std::unexpected(ok.error());
  }
  if (e.kind.empty() || e.name.empty())
    return fail("involvedObject.kind and .name must not be empty");
  if (const json::value* metadata = o.if_contains("metadata"); metadata && !metadata->is_null()) {
    if (!metadata->is_object()) return fail("metadata is not an object");
    // notification-controller v1.5 strips the group prefix; older ones forward it.
    for (std::string_view key : {"revision", "kustomize.toolkit.fluxcd.io/revision"}) {
      const json::value* v = metadata->get_object().if_contains(key);
      if (!v) continue;
      if (!v->is_string()) return fail("metadata." + std::string(key) + " is not a string");
      e.revision = cut(v->get_string());
      e.commit = pipelines::revision_commit(*e.revision);
      break;
    }
  }
  return e;
}

Result<void> verify_flux_signature(std::optional<std::string_view> header, std::string_view body,
                                   std::string_view key) {
  if (!header) return fail("missing X-Signature (the project has a flux.hmac_key)");
  const auto equals = header->find('=');
  if (equals == std::string_view::npos) return fail("X-Signature must be <hash>=<hex HMAC>");
  const std::string hash = pipelines::ascii_lower(std::string(header->substr(0, equals)));
  const std::string sent = pipelines::ascii_lower(std::string(header->substr(equals + 1)));
  auto mac = hmac_sha2(hash, key, body);
  if (!mac)
    return fail("X-Signature uses " + cut(hash.substr(0, 16)) +
                "; sha224, sha256, sha384 or sha512 is required");
  if (!constant_time_equal(sent, pipelines::hex_encode(*mac))) {
    return fail("X-Signature does not match the body");
  }
  return {};
}

}  // namespace juanie::daemon::flux
