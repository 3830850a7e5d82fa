#include "daemon/cmd/api_client.hpp"

#include <boost/json/parse.hpp>
#include <cstdlib>

#include "daemon/config/daemon_config.hpp"
#include "daemon/config/loader.hpp"
#include "daemon/http/client.hpp"

namespace juanie::daemon {
namespace {

namespace json = boost::json;

// The daemon's API base: --url, else its listen address (a wildcard host is reached on loopback).
Result<std::string> base_url(const ApiEndpoint& o) {
  if (!o.url.empty()) {
    std::string url = o.url;
    while (url.ends_with('/')) url.pop_back();
    return url;
  }
  auto text = config::read_text_file(o.config);
  if (!text) return std::unexpected(text.error());
  auto daemon = config::parse_daemon_config(*text, o.config, config::credentials_directory());
  if (!daemon) return std::unexpected(daemon.error());
  std::string host = daemon->listen.host;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(daemon->tls ? "https://" : "http://") + host + ":" +
         std::to_string(daemon->listen.port);
}

Result<std::string> api_token(const ApiEndpoint& o) {
  if (!o.token_file.empty()) {
    auto text = config::read_text_file(o.token_file);
    if (!text) return std::unexpected(text.error());
    std::string token = *text;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
      token.pop_back();
    if (token.empty()) return fail(o.token_file + ": is empty");
    return token;
  }
  if (const char* env = std::getenv("JUANIE_API_TOKEN"); env && *env) return std::string(env);
  return fail("no API token: give --token-file FILE or set $JUANIE_API_TOKEN");
}

}  // namespace

Result<bool> take_endpoint_option(const std::vector<std::string>& args, std::size_t& i,
                                  ApiEndpoint& endpoint) {
  const std::string& a = args[i];
  std::string* target = a == "--config"       ? &endpoint.config
                        : a == "--url"        ? &endpoint.url
                        : a == "--token-file" ? &endpoint.token_file
                        : a == "--ca-file"    ? &endpoint.ca_file
                                              : nullptr;
  if (!target) return false;
  if (i + 1 >= args.size()) return fail(a + " needs a value");
  *target = args[++i];
  return true;
}

Result<ApiClient> ApiClient::connect(const ApiEndpoint& endpoint) {
  auto base = base_url(endpoint);
  if (!base) return std::unexpected(base.error());
  auto token = api_token(endpoint);
  if (!token) return std::unexpected(token.error());
  return ApiClient(std::move(*base), std::move(*token), endpoint.ca_file);
}

Result<json::object> ApiClient::call(const std::string& method, const std::string& path,
                                     const std::string& body) const {
  http::ClientRequest req;
  req.method = method;
  req.url = base_ + path;
  req.headers = {{"Authorization", "Bearer " + token_}};
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.body = body;
  req.ca_file = ca_file_;
  req.timeout = std::chrono::milliseconds(120'000);  // a manual run fetches the repository first
  auto r = http::send(req);
  if (!r) return fail(method + " " + req.url + ": " + r.error().message);
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  std::string message = r->body;
  if (!ec && v.is_object() && v.as_object().contains("error") && v.at("error").is_string()) {
    message = std::string(v.at("error").as_string());
  }
  if (r->status < 200 || r->status > 299) {
    return fail(method + " " + path + ": " + std::to_string(r->status) + " " + message);
  }
  if (ec || !v.is_object()) return fail(method + " " + path + ": the answer is not a JSON object");
  return v.as_object();
}

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

}  // namespace juanie::daemon
