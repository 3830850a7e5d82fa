#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/notify/notifier.hpp"

// How each sink is told of an event: pure functions from the stored message to the bytes sent.
namespace juanie::daemon::notify {

// "shop-api: approval requested: deploy acme/shop-api:3f2a1bc to prod".
std::string subject(const std::string& event, const Fields& fields);
// Several lines for people: what, where, which commit, and the link when there is one.
std::string plain_text(const std::string& event, const Fields& fields);

// The generic webhook: {"event", "delivery", fields...}; "deployment" and "run" as numbers.
std::string webhook_body(std::int64_t delivery, const std::string& event, const Fields& fields);
// X-Juanie-Signature-256: sha256=<hex HMAC-SHA256 of the body under the sink's secret>.
std::string webhook_signature(const std::string& secret, const std::string& body);

// Slack, to a channel (an incoming webhook's, or `channel` through chat.postMessage):
// {"text": ...}; an approval request mentions its approvers (<@ID>) and says where to decide.
std::string slack_body(const std::string& event, const Fields& fields,
                       const std::string& channel = "");
// Slack, to one approver (chat.postMessage to their member id): their link as
// <url|Approve or reject>.
std::string slack_direct_body(const Fields& fields);

// DingTalk custom robot: markdown; an approval request at-mentions its approvers' mobiles and
// says where to decide (a group chat never gets a link).
std::string dingtalk_body(const std::string& event, const Fields& fields);
// DingTalk's "加签": &timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256 of "ms\nsecret">.
std::string dingtalk_signed_url(const std::string& url, const std::string& secret,
                                std::int64_t timestamp_ms);

// An RFC 5322 message, text/plain UTF-8. Header values lose any CR or LF.
std::string email_message(const std::string& from, const std::vector<std::string>& to,
                          const std::string& event, const Fields& fields, const std::string& date,
                          const std::string& message_id);

}  // namespace juanie::daemon::notify
