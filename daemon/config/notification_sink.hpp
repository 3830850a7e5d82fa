#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipelines/yaml_reader.hpp"

namespace juanie::daemon::config {

// The events a sink may be told about; a sink without `events` gets them all.
inline constexpr std::string_view kNotificationEvents[] = {
    "approval_requested",   "deployment_succeeded",   "deployment_failed",
    "deployment_cancelled", "deployment_rolled_back", "run_failed"};

// Where notifications go. webhook, dingtalk and slack POST to `url` (a file in secrets_dir:
// these URLs carry access tokens); email speaks SMTP to `smtp`; a slack sink with a bot
// `token` sends direct messages through Slack's Web API.
//
// Webhooks, DingTalk robots and Slack channels are group channels: everyone there reads what
// they get, so an approver's personal link never goes to them — only to e-mail (the
// approver's address) and Slack direct messages (the approver's member id).
struct NotificationSink {
  std::string type;     // webhook | dingtalk | slack | email
  std::string url;      // a file in secrets_dir (webhook, dingtalk, slack's incoming webhook)
  std::string token;    // slack: a file in secrets_dir holding a bot token (xoxb-…)
  std::string channel;  // slack with token: the channel group messages go to (instead of url)
  std::string api_url = "https://slack.com/api";  // slack: base of chat.postMessage
  std::string secret;     // a file in secrets_dir: webhook body HMAC key, DingTalk signing secret
  std::string smtp;       // email: smtp://host:port or smtps://host:port
  bool starttls = false;  // email: require STARTTLS on smtp://
  std::string ca_file;    // email: trust this CA bundle (an internal CA), not the system's
  std::string from;       // email: the sender address
  std::vector<std::string> to;  // email: for events not addressed to an approver
  std::string username;         // email: SMTP AUTH user
  std::string password;         // email: a file in secrets_dir
  std::vector<std::string> events;
};

bool wants(const NotificationSink& sink, std::string_view event);

// Whether the sink can put a message in an approver's own hands (e-mail; Slack with a bot
// token), and whether it has a group channel to post to (webhook, DingTalk, a Slack incoming
// webhook or channel).
bool reaches_people(const NotificationSink& sink);
bool reaches_group(const NotificationSink& sink);

// The `notifications` list under `parent` (the daemon file or a project file); empty if absent.
std::vector<NotificationSink> parse_notification_sinks(pipelines::MapReader& parent);

}  // namespace juanie::daemon::config
