#include "daemon/cmd/trigger_command.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "daemon/config/daemon_config.hpp"
#include "daemon/config/loader.hpp"
#include "daemon/http/client.hpp"

namespace juanie::daemon {
namespace {

namespace json = boost::json;

constexpr const char* kUsage =
    "usage: juanie trigger (--config FILE | --url URL) [--token-file FILE] PROJECT REF\n"
    "       juanie trigger (--config FILE | --url URL) [--token-file FILE] --deployment ID\n"
    "Asks the running daemon (its API at --url, else http(s)://LISTEN of --config) to release\n"
    "the newest pending deployment of PROJECT from REF (a branch, tag or full ref); with none\n"
    "pending, to start a run of REF's head. The API token (--token-file, else\n"
    "$JUANIE_API_TOKEN) is recorded as the trigger.\n";

struct Options {
  std::string config, url, token_file, ca_file;
  std::optional<std::int64_t> deployment;
  std::vector<std::string> positional;
};

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id < 1) return std::nullopt;
  return id;
}

Result<Options> parse_options(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    std::string* target = a == "--config"       ? &o.config
                          : a == "--url"        ? &o.url
                          : a == "--token-file" ? &o.token_file
                          : a == "--ca-file"    ? &o.ca_file
                                                : nullptr;
    if (target) {
      auto v = value();
      if (!v) return fail(a + " needs a value");
      *target = *v;
    } else if (a == "--deployment") {
      auto v = value();
      o.deployment = v ? parse_id(*v) : std::nullopt;
      if (!o.deployment) return fail("--deployment needs a deployment id");
    } else if (a == "--as") {
      return fail("--as is gone: the API token says who triggers (give each person a token)");
    } else if (a.starts_with("--")) {
      return fail("unknown option " + a);
    } else {
      o.positional.push_back(a);
    }
  }
  if (o.config.empty() && o.url.empty()) return fail("give --config FILE or --url URL");
  if (o.deployment ? !o.positional.empty() : o.positional.size() != 2)
    return fail("give PROJECT REF or --deployment ID");
  return o;
}

// The daemon's API base: --url, else its listen address (a wildcard host is reached on loopback).
Result<std::string> base_url(const Options& o) {
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

Result<std::string> api_token(const Options& o) {
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

class Api {
 public:
  Api(std::string base, std::string token, std::string ca_file)
      : base_(std::move(base)), token_(std::move(token)), ca_file_(std::move(ca_file)) {}

  // The JSON answer of a 2xx; otherwise an error with the daemon's message.
  Result<json::object> call(const std::string& method, const std::string& path,
                            const std::string& body = "") const {
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
    if (ec || !v.is_object())
      return fail(method + " " + path + ": the answer is not a JSON object");
    return v.as_object();
  }

 private:
  std::string base_, token_, ca_file_;
};

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

Result<std::string> trigger_deployment(const Api& api, std::int64_t id) {
  auto done = api.call("POST", "/api/v1/deployments/" + std::to_string(id) + "/trigger");
  if (!done) return std::unexpected(done.error());
  auto d = api.call("GET", "/api/v1/deployments/" + std::to_string(id));
  if (!d) return std::unexpected(d.error());
  const std::string state = text_of(*d, "state");
  return "deployment " + std::to_string(id) + " of " + text_of(*d, "image") + ":" +
         text_of(*d, "tag") + " to " + text_of(*d, "environment") + " triggered by " +
         text_of(*d, "triggered_by") + ": " + state +
         (state == "awaiting_approval"
              ? " until " + text_of(*d, "expires_at") + "; approval requests are on their way"
              : "");
}

// The newest pending deployment of `project` whose run was of `ref` (branch, tag or full ref).
Result<std::optional<std::int64_t>> pending_deployment(const Api& api, const std::string& project,
                                                       const std::string& ref) {
  std::string before;
  for (;;) {
    auto page = api.call("GET", "/api/v1/deployments?state=pending&project=" + project + before);
    if (!page) return std::unexpected(page.error());
    for (const auto& d : page->at("deployments").as_array()) {
      auto run = api.call("GET", "/api/v1/runs/" + std::to_string(d.at("run").as_int64()));
      if (!run) return std::unexpected(run.error());
      if (text_of(*run, "branch") == ref || text_of(*run, "ref") == ref)
        return d.at("id").as_int64();
    }
    if (page->at("next").is_null()) return std::nullopt;
    before = "&before=" + std::to_string(page->at("next").as_int64());
  }
}

Result<std::string> start_run(const Api& api, const std::string& project, const std::string& ref) {
  json::object body;
  body["ref"] = ref;
  auto r = api.call("POST", "/api/v1/projects/" + project + "/runs", json::serialize(body));
  if (!r) return std::unexpected(r.error());
  const auto& env = r->at("environment");
  return std::string(r->contains("duplicate") ? "already queued or running:" : "queued") + " run " +
         std::to_string(r->at("run").as_int64()) + " of " + text_of(*r, "ref") + " at " +
         text_of(*r, "sha").substr(0, 12) +
         (env.is_string()
              ? " for " + std::string(env.as_string()) +
                    "; its deployment counts as triggered by " + text_of(*r, "triggered_by")
              : "; it deploys nowhere");
}

bool plain_name(const std::string& s) {
  return !s.empty() && s.find_first_of("/?&#% ") == std::string::npos;
}

}  // namespace

int run_trigger(const std::vector<std::string>& args) {
  auto o = parse_options(args);
  if (!o) {
    std::cerr << "juanie trigger: " << o.error().message << "\n" << kUsage;
    return 2;
  }
  auto base = base_url(*o);
  auto token = base ? api_token(*o) : Result<std::string>(std::unexpected(base.error()));
  if (!token) {
    std::cerr << "juanie trigger: " << token.error().message << '\n';
    return 1;
  }
  const Api api(*base, *token, o->ca_file);
  Result<std::string> message;
  if (o->deployment) {
    message = trigger_deployment(api, *o->deployment);
  } else if (!plain_name(o->positional[0])) {
    message = fail("no project " + o->positional[0]);
  } else {
    auto pending = pending_deployment(api, o->positional[0], o->positional[1]);
    if (!pending) {
      message = std::unexpected(pending.error());
    } else if (*pending) {
      message = trigger_deployment(api, **pending);
    } else {
      message = start_run(api, o->positional[0], o->positional[1]);
    }
  }
  if (!message) {
    std::cerr << "juanie trigger: " << message.error().message << '\n';
    return 1;
  }
  std::cout << *message << '\n';
  return 0;
}

}  // namespace juanie::daemon
