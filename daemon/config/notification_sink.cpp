#include "daemon/config/notification_sink.hpp"

#include <algorithm>

namespace juanie::daemon::config {

using pipelines::MapReader;

bool wants(const NotificationSink& sink, std::string_view event) {
  return sink.events.empty() ||
         std::find(sink.events.begin(), sink.events.end(), event) != sink.events.end();
}

bool reaches_people(const NotificationSink& sink) {
  return sink.type == "email" || (sink.type == "slack" && !sink.token.empty());
}

bool reaches_group(const NotificationSink& sink) {
  if (sink.type == "slack") return !sink.url.empty() || !sink.channel.empty();
  return sink.type == "webhook" || sink.type == "dingtalk";
}

std::vector<NotificationSink> parse_notification_sinks(MapReader& parent) {
  std::vector<NotificationSink> out;
  auto node = parent.child("notifications");
  if (!node) return out;
  if (!node->IsSequence()) parent.fail_at(*node, "notifications", "must be a list");
  for (std::size_t i = 0; i < node->size(); ++i) {
    MapReader r((*node)[i], parent.file(), "notifications[" + std::to_string(i) + "]");
    NotificationSink sink;
    sink.type = r.required_string("type");
    if (sink.type != "webhook" && sink.type != "dingtalk" && sink.type != "slack" &&
        sink.type != "email") {
      r.fail_at(*r.child("type"), "type", "must be webhook, dingtalk, slack or email");
    }
    sink.secret = r.optional_secret_file("secret").value_or("");
    if (auto events = r.optional_string_list("events")) {
      for (const auto& e : *events) {
        if (std::find(std::begin(kNotificationEvents), std::end(kNotificationEvents), e) ==
            std::end(kNotificationEvents)) {
          r.fail_at(*r.child("events"), "events",
                    "\"" + e +
                        "\" is not an event (approval_requested, deployment_succeeded, "
                        "deployment_failed, deployment_cancelled, deployment_rolled_back, "
                        "run_failed)");
        }
      }
      sink.events = *events;
    }
    if (sink.type == "email") {
      sink.smtp = r.required_string("smtp");
      if (!sink.smtp.starts_with("smtp://") && !sink.smtp.starts_with("smtps://")) {
        r.fail_at(*r.child("smtp"), "smtp", "must be smtp://host:port or smtps://host:port");
      }
      if (sink.smtp.find('@') != std::string::npos) {
        r.fail_at(*r.child("smtp"), "smtp",
                  "must not carry credentials; use username and password (a file in secrets_dir)");
      }
      sink.from = r.required_string("from");
      if (sink.from.find('@') == std::string::npos)
        r.fail_at(*r.child("from"), "from", "must be an e-mail address");
      sink.to = r.optional_string_list("to").value_or(std::vector<std::string>{});
      sink.starttls = r.optional_bool("starttls").value_or(false);
      sink.ca_file = r.optional_string("ca_file").value_or("");
      if (!sink.ca_file.empty() && !sink.ca_file.starts_with("/")) {
        r.fail_at(*r.child("ca_file"), "ca_file", "must be an absolute path");
      }
      sink.username = r.optional_string("username").value_or("");
      sink.password = r.optional_secret_file("password").value_or("");
      if (sink.password.empty() != sink.username.empty()) {
        r.fail_here("username and password go together");
      }
      if (!sink.secret.empty()) r.fail_at(*r.child("secret"), "secret", "is not used by email");
    } else {
      auto url = r.optional_secret_file("url");
      if (sink.type == "slack") {
        sink.token = r.optional_secret_file("token").value_or("");
        sink.channel = r.optional_string("channel").value_or("");
        if (auto api = r.optional_string("api_url")) {
          if (!api->starts_with("https://") && !api->starts_with("http://")) {
            r.fail_at(*r.child("api_url"), "api_url", "must start with https:// (or http://)");
          }
          sink.api_url = *api;
          while (sink.api_url.ends_with("/")) sink.api_url.pop_back();
        }
        if (!sink.channel.empty() && sink.token.empty()) {
          r.fail_at(*r.child("channel"), "channel",
                    "needs token (a bot token file in secrets_dir)");
        }
        if (!url && sink.token.empty()) {
          r.fail_here(
              "url or token: name the file in secrets_dir that holds the incoming webhook "
              "URL, or the one that holds a bot token (for direct messages)");
        }
      } else {
        if (!url) {
          r.fail_here("url: name the file in secrets_dir that holds the " + sink.type +
                      " URL (it carries an access token)");
        }
        for (const char* key : {"token", "channel", "api_url"}) {
          if (auto n = r.child(key)) r.fail_at(*n, key, "is for slack sinks");
        }
      }
      sink.url = url.value_or("");
      for (const char* key :
           {"smtp", "from", "to", "starttls", "ca_file", "username", "password"}) {
        if (auto n = r.child(key)) r.fail_at(*n, key, "is for email sinks");
      }
    }
    r.finish();
    out.push_back(std::move(sink));
  }
  return out;
}

}  // namespace juanie::daemon::config
