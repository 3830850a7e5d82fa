#include "daemon/notify/notifier.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "daemon/store/outbox.hpp"

namespace juanie::daemon::notify {
namespace {

namespace json = boost::json;

bool reaches_group(const config::NotificationSink& sink, const std::string& event) {
  if (sink.type == "email") return event != "approval_requested" && !sink.to.empty();
  return config::reaches_group(sink);
}

bool reaches_approver(const config::NotificationSink& sink, const Fields& fields) {
  if (!config::reaches_people(sink)) return false;
  return !field(fields, sink.type == "email" ? "approver_email" : "approver_slack").empty();
}

std::string payload_of(const std::string& event, const Fields& fields) {
  json::object payload;
  payload["event"] = event;
  for (const auto& [k, v] : fields) payload[k] = v;
  return json::serialize(payload);
}

std::string string_at(const json::object& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : "";
}

}  // namespace

std::string field(const Fields& fields, std::string_view name) {
  auto it = fields.find(name);
  return it == fields.end() ? "" : it->second;
}

std::string sink_json(const config::NotificationSink& sink) {
  json::object o;
  o["type"] = sink.type;
  o["url"] = sink.url;
  o["secret"] = sink.secret;
  o["smtp"] = sink.smtp;
  o["starttls"] = sink.starttls;
  o["ca_file"] = sink.ca_file;
  o["from"] = sink.from;
  json::array to;
  for (const auto& t : sink.to) to.push_back(json::value(t));
  o["to"] = std::move(to);
  o["token"] = sink.token;
  o["channel"] = sink.channel;
  o["api_url"] = sink.api_url;
  o["username"] = sink.username;
  o["password"] = sink.password;
  return json::serialize(o);
}

config::NotificationSink sink_from_json(const std::string& text) {
  config::NotificationSink sink;
  std::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return sink;
  const auto& o = v.as_object();
  sink.type = string_at(o, "type");
  sink.url = string_at(o, "url");
  sink.secret = string_at(o, "secret");
  sink.smtp = string_at(o, "smtp");
  sink.ca_file = string_at(o, "ca_file");
  sink.from = string_at(o, "from");
  sink.username = string_at(o, "username");
  sink.password = string_at(o, "password");
  sink.token = string_at(o, "token");
  sink.channel = string_at(o, "channel");
  if (auto api = string_at(o, "api_url"); !api.empty()) sink.api_url = api;
  if (auto it = o.find("starttls"); it != o.end() && it->value().is_bool()) {
    sink.starttls = it->value().as_bool();
  }
  if (auto it = o.find("to"); it != o.end() && it->value().is_array()) {
    for (const auto& t : it->value().as_array()) {
      if (t.is_string()) sink.to.emplace_back(t.as_string());
    }
  }
  return sink;
}

Fields Notifier::with_page(Fields fields) const {
  // The status page's deep link (a sign-in stands before it): the deployment's page, else the
  // run's. Built from the operator's public_url and a number only.
  std::string base = daemon_.public_url;
  while (base.ends_with('/')) base.pop_back();
  const std::string deployment = field(fields, "deployment");
  const std::string run = field(fields, "run");
  const bool number = [&] {
    const std::string& id = deployment.empty() ? run : deployment;
    return !id.empty() && id.size() < 20 &&
           std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
  }();
  if (!base.empty() && number) {
    fields["page"] = base + (deployment.empty() ? "/runs/" + run : "/deployments/" + deployment);
  }
  return fields;
}

Result<void> Notifier::enqueue(store::Database& db, const config::ProjectConfig& project,
                               const std::string& event, const Fields& fields,
                               const std::string& now) const {
  Fields group = with_page(fields);
  group.erase("link");
  const std::string body = payload_of(event, group);
  for (const auto* sinks : {&daemon_.notifications, &project.notifications}) {
    for (const auto& sink : *sinks) {
      if (!config::wants(sink, event) || !reaches_group(sink, event)) continue;
      if (auto ok = store::enqueue(db, sink_json(sink), event, body, now); !ok) return ok;
    }
  }
  return {};
}

Result<int> Notifier::enqueue_personal(store::Database& db, const config::ProjectConfig& project,
                                       const std::string& event, const Fields& fields,
                                       const std::string& now) const {
  const std::string body = payload_of(event, with_page(fields));
  int rows = 0;
  for (const auto* sinks : {&daemon_.notifications, &project.notifications}) {
    for (const auto& sink : *sinks) {
      if (!config::wants(sink, event) || !reaches_approver(sink, fields)) continue;
      if (auto ok = store::enqueue(db, sink_json(sink), event, body, now); !ok) {
        return std::unexpected(ok.error());
      }
      ++rows;
    }
  }
  return rows;
}

}  // namespace juanie::daemon::notify
