#include "daemon/cmd/rollback_command.hpp"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <iostream>

#include "daemon/cmd/api_client.hpp"

namespace juanie::daemon {
namespace {

namespace json = boost::json;

constexpr const char* kUsage =
    "usage: juanie rollback (--config FILE | --url URL) [--token-file FILE] PROJECT ENV\n"
    "                       [--to TAG | --to DEPLOYMENT]\n"
    "Asks the running daemon to roll ENV of PROJECT back by a new GitOps commit: to its\n"
    "previous successful image, or to the newest successful deployment of TAG, or to the\n"
    "successful deployment numbered DEPLOYMENT. Where the environment gates changes (prod),\n"
    "the rollback waits for approval unless it says rollback_approval: none. The API token\n"
    "(--token-file, else $JUANIE_API_TOKEN) is recorded as who asked.\n";

struct Options {
  ApiEndpoint endpoint;
  std::string to;
  std::vector<std::string> positional;
};

Result<Options> parse_options(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto endpoint = take_endpoint_option(args, i, o.endpoint);
    if (!endpoint) return std::unexpected(endpoint.error());
    if (*endpoint) continue;
    const std::string& a = args[i];
    if (a == "--to") {
      if (i + 1 >= args.size() || args[i + 1].empty()) return fail("--to needs a tag or an id");
      o.to = args[++i];
    } else if (a.starts_with("--")) {
      return fail("unknown option " + a);
    } else {
      o.positional.push_back(a);
    }
  }
  if (o.endpoint.config.empty() && o.endpoint.url.empty()) {
    return fail("give --config FILE or --url URL");
  }
  if (o.positional.size() != 2) return fail("give PROJECT ENV");
  for (const auto& name : o.positional) {
    if (name.find_first_of("/?&#% ") != std::string::npos) return fail("no such name " + name);
  }
  return o;
}

// --to 42 names a deployment; anything else is a tag (tags that are all digits: use the id).
std::string body_of(const std::string& to) {
  if (to.empty()) return "{}";
  json::object body;
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(to.data(), to.data() + to.size(), id);
  if (ec == std::errc() && p == to.data() + to.size() && id > 0) {
    body["deployment"] = id;
  } else {
    body["to"] = to;
  }
  return json::serialize(body);
}

}  // namespace

int run_rollback(const std::vector<std::string>& args) {
  auto o = parse_options(args);
  if (!o) {
    std::cerr << "juanie rollback: " << o.error().message << "\n" << kUsage;
    return 2;
  }
  auto api = ApiClient::connect(o->endpoint);
  if (!api) {
    std::cerr << "juanie rollback: " << api.error().message << '\n';
    return 1;
  }
  const std::string& project = o->positional[0];
  const std::string& env = o->positional[1];
  auto r = api->call("POST", "/api/v1/projects/" + project + "/environments/" + env + "/rollback",
                     body_of(o->to));
  if (!r) {
    std::cerr << "juanie rollback: " << r.error().message << '\n';
    return 1;
  }
  const std::string state = text_of(*r, "state");
  std::cout << "deployment " << r->at("deployment").as_int64() << " rolls " << env << " of "
            << project << " back to " << text_of(*r, "image") << ":" << text_of(*r, "tag")
            << " (undoing deployment " << r->at("rolls_back").as_int64() << "): " << state
            << (state == "awaiting_approval" ? "; approval requests are on their way" : "") << '\n';
  return 0;
}

}  // namespace juanie::daemon
