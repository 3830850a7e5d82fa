#include "daemon/cmd/trigger_command.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "daemon/cmd/api_client.hpp"

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
  ApiEndpoint endpoint;
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
    auto endpoint = take_endpoint_option(args, i, o.endpoint);
    if (!endpoint) return std::unexpected(endpoint.error());
    if (*endpoint) {
      continue;
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
  if (o.endpoint.config.empty() && o.endpoint.url.empty()) {
    return fail("give --config FILE or --url URL");
  }
  if (o.deployment ? !o.positional.empty() : o.positional.size() != 2)
    return fail("give PROJECT REF or --deployment ID");
  return o;
}

Result<std::string> trigger_deployment(const ApiClient& api, std::int64_t id) {
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
Result<std::optional<std::int64_t>> pending_deployment(const ApiClient& api,
                                                       const std::string& project,
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

Result<std::string> start_run(const ApiClient& api, const std::string& project,
                              const std::string& ref) {
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
  auto connected = ApiClient::connect(o->endpoint);
  if (!connected) {
    std::cerr << "juanie trigger: " << connected.error().message << '\n';
    return 1;
  }
  const ApiClient& api = *connected;
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
