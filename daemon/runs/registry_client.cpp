#include "daemon/runs/registry_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "daemon/config/loader.hpp"
#include "daemon/http/client.hpp"
#include "pipelines/encoding.hpp"

namespace juanie::daemon {
namespace {

namespace json = boost::json;

constexpr const char* kManifestTypes =
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

// The base64 "user:password" auth.json holds for `host` ("" when none).
Result<std::string> basic_credentials(const std::optional<std::filesystem::path>& authfile,
                                      const std::string& host) {
  if (!authfile) return std::string();
  auto text = config::read_text_file(*authfile);
  if (!text) return std::unexpected(text.error());
  std::error_code ec;
  auto doc = json::parse(*text, ec);
  const json::object* auths = nullptr;
  if (!ec && doc.is_object()) {
    if (auto* a = doc.as_object().if_contains("auths"); a && a->is_object())
      auths = &a->as_object();
  }
  if (!auths) return fail(authfile->string() + ": not a containers auth.json ({\"auths\": {...}})");
  for (const auto& [key, entry] : *auths) {
    std::string_view k = key;
    for (std::string_view scheme : {"https://", "http://"}) {
      if (k.starts_with(scheme)) k.remove_prefix(scheme.size());
    }
    k = k.substr(0, k.find('/'));
    if (k != host || !entry.is_object()) continue;
    if (auto* auth = entry.as_object().if_contains("auth"); auth && auth->is_string()) {
      return std::string(auth->as_string());
    }
  }
  return std::string();
}

// key="value" of a WWW-Authenticate challenge ("" when absent).
std::string challenge_param(std::string_view header, std::string_view key) {
  const std::string needle = std::string(key) + "=\"";
  const auto at = header.find(needle);
  if (at == std::string_view::npos) return {};
  const auto start = at + needle.size();
  const auto end = header.find('"', start);
  return std::string(header.substr(start, end == std::string_view::npos ? end : end - start));
}

// A token for pulling `name`, from the realm a Bearer challenge named.
Result<std::string> bearer_token(const std::string& challenge, const std::string& name,
                                 const std::string& basic) {
  const std::string realm = challenge_param(challenge, "realm");
  if (realm.empty()) return fail("the registry asked for a token without naming its realm");
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&") +
                    "scope=" + pipelines::percent_encode("repository:" + name + ":pull");
  if (auto service = challenge_param(challenge, "service"); !service.empty()) {
    url += "&service=" + pipelines::percent_encode(service);
  }
  http::ClientRequest request{.method = "GET", .url = url, .headers = {}, .body = {}};
  if (!basic.empty()) request.headers.emplace_back("Authorization", "Basic " + basic);
  auto response = http::send(request);
  if (!response) return std::unexpected(response.error());
  std::error_code ec;
  auto doc = json::parse(response->body, ec);
  if (response->status == 200 && !ec && doc.is_object()) {
    for (const char* key : {"token", "access_token"}) {
      if (auto* t = doc.as_object().if_contains(key); t && t->is_string())
        return std::string(t->as_string());
    }
  }
  return fail("the registry's token service answered HTTP " + std::to_string(response->status));
}

}  // namespace

Result<ImageReference> parse_image_reference(std::string_view reference) {
  const auto slash = reference.find('/');
  const auto colon = reference.rfind(':');
  if (slash == std::string_view::npos || colon == std::string_view::npos || colon < slash ||
      reference.find('@') != std::string_view::npos) {
    return fail("\"" + std::string(reference) + "\" is not registry/name:tag");
  }
  ImageReference r{std::string(reference.substr(0, slash)),
                   std::string(reference.substr(slash + 1, colon - slash - 1)),
                   std::string(reference.substr(colon + 1))};
  if (r.host == "docker.io") r.host = "registry-1.docker.io";
  if (r.name.empty() || r.tag.empty())
    return fail("\"" + std::string(reference) + "\" is not registry/name:tag");
  return r;
}

Result<std::optional<std::string>> registry_digest(
    const std::string& reference, bool tls, const std::optional<std::filesystem::path>& authfile) {
  auto ref = parse_image_reference(reference);
  if (!ref) return std::unexpected(ref.error());
  auto basic = basic_credentials(authfile, ref->host);
  if (!basic) return std::unexpected(basic.error());
  http::ClientRequest request{.method = "GET",
                              .url = (tls ? "https://" : "http://") + ref->host + "/v2/" +
                                     ref->name + "/manifests/" + ref->tag,
                              .headers = {{"Accept", kManifestTypes}},
                              .body = {}};
  if (!basic->empty()) request.headers.emplace_back("Authorization", "Basic " + *basic);
  auto response = http::send(request);
  if (!response) return std::unexpected(response.error());
  if (response->status == 401 && response->header("WWW-Authenticate").starts_with("Bearer")) {
    auto token = bearer_token(response->header("WWW-Authenticate"), ref->name, *basic);
    if (!token) return std::unexpected(token.error());
    request.headers = {{"Accept", kManifestTypes}, {"Authorization", "Bearer " + *token}};
    response = http::send(request);
    if (!response) return std::unexpected(response.error());
  }
  if (response->status == 404) return std::optional<std::string>();
  if (response->status != 200) {
    return fail("the registry answered HTTP " + std::to_string(response->status) + " for " +
                reference);
  }
  const std::string digest = response->header("Docker-Content-Digest");
  if (!digest.starts_with("sha256:"))
    return fail("the registry sent no Docker-Content-Digest for " + reference);
  return std::optional<std::string>(digest);
}

}  // namespace juanie::daemon
