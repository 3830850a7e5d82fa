#include "daemon/notify/message_format.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>

#include "daemon/support/crypto.hpp"
#include "pipelines/encoding.hpp"
#include "pipelines/split.hpp"

namespace juanie::daemon::notify {
namespace {

namespace json = boost::json;

std::string image_ref(const Fields& f) {
  return field(f, "image") + ":" + field(f, "tag");
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

// The non-empty items of a separated list, leading blanks dropped.
std::vector<std::string> list_items(std::string_view list, char separator) {
  std::vector<std::string> out;
  for (auto item : pipelines::split(list, separator)) {
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

// Who must approve and where: never a link (each approver has their own, sent to them alone).
std::string where_to_decide(const Fields& f) {
  std::string text = "Deployment " + field(f, "deployment") + " waits for " +
                     field(f, "required_approvals") + " approval(s) from " + field(f, "approvers");
  if (!field(f, "expires_at").empty()) text += " until " + field(f, "expires_at");
  text +=
      ". Each approver decides through their own link, sent to them alone (e-mail or Slack "
      "direct message).";
  if (!field(f, "unreached").empty()) {
    text += " No personal channel reaches " + field(f, "unreached") +
            ": an operator prints their link with `juanie approval-link --config FILE " +
            field(f, "deployment") + " NAME`.";
  }
  return text;
}

bool group_request(const std::string& event, const Fields& f) {
  return event == "approval_requested" && field(f, "link").empty();
}

}  // namespace

std::string subject(const std::string& event, const Fields& f) {
  const std::string what = "deploy " + image_ref(f) + " to " + field(f, "environment");
  if (event == "approval_requested") return field(f, "project") + ": approval requested: " + what;
  if (event == "deployment_succeeded")
    return field(f, "project") + ": deployed " + image_ref(f) + " to " + field(f, "environment");
  if (event == "deployment_failed") return field(f, "project") + ": failed to " + what;
  if (event == "deployment_cancelled") return field(f, "project") + ": cancelled: " + what;
  if (event == "deployment_rolled_back") {
    return field(f, "project") + ": rolled back " + field(f, "environment") + " to " +
           field(f, "restored_image") + ":" + field(f, "restored_tag") + " after " + image_ref(f) +
           " failed";
  }
  if (event == "run_failed") {
    return field(f, "project") + ": run " + field(f, "run") + " of " + field(f, "branch") +
           " failed";
  }
  return field(f, "project") + ": " + event;
}

std::string plain_text(const std::string& event, const Fields& f) {
  std::string text = subject(event, f) + "\n\n";
  if (event == "approval_requested") {
    text += field(f, "approver") + ", your approval is asked for deployment " +
            field(f, "deployment") + " of " + field(f, "project") + " to " +
            field(f, "environment") + ".\n\n";
  }
  if (!field(f, "sha").empty()) {
    text += "commit: " + field(f, "sha") + " on " + field(f, "branch") + "\n";
  }
  if (!field(f, "triggered_by").empty()) text += "triggered by: " + field(f, "triggered_by") + "\n";
  if (!field(f, "reason").empty()) text += "reason: " + field(f, "reason") + "\n";
  if (event == "deployment_rolled_back") {
    text += "restored: " + field(f, "restored_image") + ":" + field(f, "restored_tag") + "@" +
            field(f, "restored_digest") + " by deployment " + field(f, "rollback_deployment") +
            ", GitOps commit " + field(f, "rollback_commit") + "\n";
  }
  if (!field(f, "page").empty()) text += "status page: " + field(f, "page") + "\n";
  if (!field(f, "link").empty()) {
    text +=
        "\nReview it, then approve or reject (the page changes nothing until you press a "
        "button):\n" +
        field(f, "link") + "\n";
    if (!field(f, "expires_at").empty())
      text += "The link works once, until " + field(f, "expires_at") + ".\n";
    text += "It is yours alone: whoever holds it decides as you, so do not forward it.\n";
  }
  return text;
}

std::string webhook_body(std::int64_t delivery, const std::string& event, const Fields& f) {
  json::object o;
  o["event"] = event;
  o["delivery"] = delivery;
  for (const auto& [k, v] : f) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if ((k == "deployment" || k == "run") && ec == std::errc() && p == v.data() + v.size()) {
      o[k] = n;
    } else {
      o[k] = v;
    }
  }
  return json::serialize(o);
}

std::string webhook_signature(const std::string& secret, const std::string& body) {
  return "sha256=" + hex_encode(hmac_sha256(secret, body));
}

namespace {

// Slack reads `<…>` as a link or a mention and `&` as an entity: text that came from outside
// (a branch, a failure's reason quoting a pipeline file) must not ping a channel (`<!channel>`)
// or pass off a link as "Approve" (`<https://…|Approve>`). Slack documents these three escapes.
std::string slack_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string slack_body(const std::string& event, const Fields& f, const std::string& channel) {
  std::string text = slack_escape(subject(event, f));
  if (group_request(event, f)) {
    std::string mentions;
    for (const auto& id : list_items(field(f, "approvers_slack"), ','))
      mentions += "<@" + slack_escape(id) + "> ";
    text = mentions + text + "\n" + slack_escape(where_to_decide(f));
  }
  if (!field(f, "reason").empty()) text += "\nreason: " + slack_escape(field(f, "reason"));
  // juanie's own link (public_url and a number): Slack's link syntax, not escaped text.
  if (!field(f, "page").empty()) text += "\n<" + field(f, "page") + "|Open in juanie>";
  json::object o;
  if (!channel.empty()) o["channel"] = channel;
  o["text"] = text;
  return json::serialize(o);
}

std::string slack_direct_body(const Fields& f) {
  std::string text = "<@" + slack_escape(field(f, "approver_slack")) + "> " +
                     slack_escape(subject("approval_requested", f)) + "\n<" + field(f, "link") +
                     "|Approve or reject>";
  text += "\nThis link is yours alone";
  if (!field(f, "expires_at").empty()) text += " and works once, until " + field(f, "expires_at");
  text += ".";
  json::object o;
  o["channel"] = field(f, "approver_slack");
  o["text"] = text;
  return json::serialize(o);
}

// Text from outside (a failure's reason quotes a pipeline file or podman's last line) as one
// code span: DingTalk's markdown renders no link, image or emphasis inside it. (Branch names
// cannot hold '[', so they cannot make a link.)
std::string dingtalk_code(std::string text) {
  for (auto& c : text) {
    if (c == '`') c = '\'';
    if (c == '\n' || c == '\r') c = ' ';
  }
  return "`" + text + "`";
}

std::string dingtalk_body(const std::string& event, const Fields& f) {
  const std::string title = subject(event, f);
  std::string markdown = "### " + title + "\n\n";
  if (!field(f, "sha").empty())
    markdown += "- commit: `" + field(f, "sha").substr(0, 12) + "` on " + field(f, "branch") + "\n";
  if (!field(f, "reason").empty())
    markdown += "- reason: " + dingtalk_code(field(f, "reason")) + "\n";
  if (!field(f, "page").empty()) markdown += "- [open in juanie](" + field(f, "page") + ")\n";
  json::object o;
  json::array mobiles;
  if (group_request(event, f)) {
    markdown += "\n" + where_to_decide(f) + "\n";
    const auto list = list_items(field(f, "approvers_dingtalk"), ',');
    if (!list.empty()) markdown += "\n";
    for (const auto& mobile : list) {
      markdown += "@" + mobile + " ";
      mobiles.push_back(json::value(mobile));
    }
  }
  o["msgtype"] = "markdown";
  o["markdown"] = json::object{{"title", title}, {"text", markdown}};
  if (!mobiles.empty())
    o["at"] = json::object{{"atMobiles", std::move(mobiles)}, {"isAtAll", false}};
  return json::serialize(o);
}

std::string dingtalk_signed_url(const std::string& url, const std::string& secret,
                                std::int64_t timestamp_ms) {
  const std::string ts = std::to_string(timestamp_ms);
  const Digest mac = hmac_sha256(secret, ts + "\n" + secret);
  const std::string sign =
      base64_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "timestamp=" + ts +
         "&sign=" + pipelines::percent_encode(sign);
}

std::string email_message(const std::string& from, const std::vector<std::string>& to,
                          const std::string& event, const Fields& f, const std::string& date,
                          const std::string& message_id) {
  std::string recipients;
  for (const auto& t : to) recipients += (recipients.empty() ? "" : ", ") + one_line(t);
  std::string body = plain_text(event, f);
  // SMTP lines end in CRLF, and a line holding only "." would end the message early (libcurl
  // dot-stuffs, but normalise the endings here).
  std::string crlf;
  for (char c : body) {
    if (c == '\n')
      crlf += "\r\n";
    else if (c != '\r')
      crlf.push_back(c);
  }
  return "From: " + one_line(from) + "\r\nTo: " + recipients +
         "\r\nSubject: " + one_line(subject(event, f)) + "\r\nDate: " + one_line(date) +
         "\r\nMessage-ID: <" + one_line(message_id) +
         ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n" +
         crlf;
}

}  // namespace juanie::daemon::notify
