#include "daemon/notify/dispatcher.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "daemon/config/loader.hpp"
#include "daemon/http/client.hpp"
#include "daemon/notify/message_format.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/notify/smtp_client.hpp"
#include "daemon/store/commit_statuses.hpp"

namespace juanie::daemon::notify {
namespace {

namespace json = boost::json;

Fields fields_of(const std::string& payload) {
  Fields out;
  std::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& [k, value] : v.as_object()) {
    if (value.is_string()) out.emplace(k, std::string(value.as_string()));
  }
  return out;
}

// An error from curl names the URL, and these URLs carry access tokens.
std::string redact(std::string text, const std::string& url, const std::string& file) {
  if (url.empty()) return text;
  for (auto at = text.find(url); at != std::string::npos; at = text.find(url)) {
    text.replace(at, url.size(), "<the URL in " + file + ">");
  }
  return text;
}

}  // namespace

Result<void> Dispatcher::post_json(const std::string& url, const std::string& file,
                                   const std::string& body,
                                   std::vector<std::pair<std::string, std::string>> headers) const {
  http::ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.body = body;
  headers.emplace_back("Content-Type", "application/json");
  headers.emplace_back("User-Agent", "juanie");
  request.headers = std::move(headers);
  auto response = transport_.send(request);
  if (!response) return fail(redact(response.error().message, url, file));
  if (response->status < 200 || response->status > 299) {
    return fail("the sink answered HTTP " + std::to_string(response->status) + ": " +
                response->body.substr(0, 200));
  }
  return {};
}

Result<void> Dispatcher::slack_post(const config::NotificationSink& sink,
                                    const std::string& channel, const std::string& body) const {
  auto token = config::read_secret(deps_.daemon.secrets_dir,
                                   config::SecretRef{sink.token, "notifications (slack): token: "});
  if (!token) return std::unexpected(token.error());
  http::ClientRequest request;
  request.method = "POST";
  request.url = sink.api_url + "/chat.postMessage";
  request.body = body;
  request.headers = {{"Content-Type", "application/json; charset=utf-8"},
                     {"Authorization", "Bearer " + *token},
                     {"User-Agent", "juanie"}};
  auto response = transport_.send(request);
  if (!response) return fail("Slack (to " + channel + "): " + response.error().message);
  // Slack answers 200 for refusals too; "ok" says whether the message was posted.
  std::error_code ec;
  auto answer = json::parse(response->body, ec);
  const json::object* o = !ec && answer.is_object() ? &answer.as_object() : nullptr;
  const json::value* ok = o ? o->if_contains("ok") : nullptr;
  if (response->status != 200 || !ok || !ok->is_bool() || !ok->as_bool()) {
    const json::value* error = o ? o->if_contains("error") : nullptr;
    return fail("Slack (to " + channel + ") answered HTTP " + std::to_string(response->status) +
                ": " +
                (error && error->is_string() ? std::string(error->as_string())
                                             : response->body.substr(0, 200)));
  }
  return {};
}

Result<void> Dispatcher::slack_direct(const config::NotificationSink& sink,
                                      const Fields& fields) const {
  const std::string member = field(fields, "approver_slack");
  if (sink.token.empty() || member.empty()) {
    return fail("refusing to send an approver's link other than as a direct message");
  }
  return slack_post(sink, member, slack_direct_body(fields));
}

int Dispatcher::deliver_due() {
  if (deps_.on_duty && !deps_.on_duty()) return 0;
  const auto now = deps_.clock.now();
  auto due = deps_.reader.with(
      [&](store::Database& db) { return store::due_messages(db, rfc3339(now), 50); });
  if (!due) {
    deps_.log.error("notifications: cannot read the outbox: " + due.error().message);
    return 0;
  }
  int attempted = 0;
  for (const auto& m : *due) {
    if (worker_.stopping()) break;  // a slow sink must not hold up shutdown: the rest wait
    ++attempted;
    const config::NotificationSink sink = sink_from_json(m.sink);
    if (sink.type == kStatusSink) {
      deliver_status(m);
      continue;
    }
    auto sent = send(m, sink);
    const std::string at = rfc3339(deps_.clock.now());
    const std::string& type = sink.type;
    if (sent) {
      if (deps_.metrics) deps_.metrics->notification(type, "delivered");
      (void)store::write_and_wait(deps_.writer, [id = m.id, at](store::Database& db) {
        return store::mark_delivered(db, id, at);
      });
      continue;
    }
    std::optional<std::string> next;
    if (m.attempts + 1 < deps_.max_attempts) {
      auto delay = deps_.first_retry * (1LL << std::min(m.attempts, 20));
      delay = std::min<std::chrono::milliseconds>(delay, std::chrono::hours(1));
      next = rfc3339(deps_.clock.now() + delay);
    }
    if (deps_.metrics) deps_.metrics->notification(type, next ? "retry" : "abandoned");
    deps_.log.warn("notification " + std::to_string(m.id) + " (" + m.event + ") not delivered" +
                   (next ? ", next attempt at " + *next
                         : ", given up after " + std::to_string(m.attempts + 1) + " attempts") +
                   ": " + sent.error().message);
    (void)store::write_and_wait(
        deps_.writer, [id = m.id, error = sent.error().message, next](store::Database& db) {
          return store::mark_failed(db, id, error, next);
        });
  }
  return attempted;
}

void Dispatcher::deliver_status(const store::OutboxMessage& m) {
  using pipelines::StatusAnswer;
  const StatusOutcome outcome = status_.send(m);
  const StatusSubject subject = status_subject(m.payload);
  const auto now = deps_.clock.now();
  const auto report = [](std::string_view state, const std::string& reason) {
    json::object o;
    o["state"] = state;
    if (!reason.empty()) o["reason"] = reason;
    return json::serialize(o);
  };
  if (outcome.answer == StatusAnswer::kDelivered) {
    if (deps_.metrics) deps_.metrics->notification(kStatusSink, "delivered");
    (void)store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
      if (auto ok = store::mark_delivered(db, m.id, rfc3339(now)); !ok) return ok;
      return store::set_status_report(db, subject.run, report("delivered", ""));
    });
    return;
  }
  std::optional<std::string> next;
  if (outcome.answer == StatusAnswer::kRetry && m.attempts + 1 < deps_.max_attempts) {
    auto delay = deps_.first_retry * (1LL << std::min(m.attempts, 20));
    delay = std::min<std::chrono::milliseconds>(delay, std::chrono::hours(1));
    auto at = now + delay;
    if (outcome.not_before && *outcome.not_before > at) at = *outcome.not_before;
    next = rfc3339(std::chrono::time_point_cast<std::chrono::seconds>(at));
  }
  const std::string_view state = outcome.answer == StatusAnswer::kRefused ? "refused"
                                 : next                                   ? "retrying"
                                                                          : "abandoned";
  if (deps_.metrics && !outcome.off) {
    deps_.metrics->notification(kStatusSink, next ? "retry" : "abandoned");
  }
  if (outcome.answer == StatusAnswer::kRefused && !outcome.off) {
    auto& throttle = refusals_.try_emplace(subject.project, std::chrono::hours(1)).first->second;
    if (auto unlogged = throttle.admit(now)) {
      deps_.log.warn(
          "commit statuses of " + subject.project + " refused: " + outcome.detail +
          (*unlogged ? " (" + std::to_string(*unlogged) + " more since the last line)" : "") +
          "; not retried, check repo.status_token and repo.api_url");
    }
  } else if (!outcome.off) {
    deps_.log.warn("commit status " + std::to_string(m.id) + " of " + subject.project +
                   " not delivered" +
                   (next ? ", next attempt at " + *next
                         : ", given up after " + std::to_string(m.attempts + 1) + " attempts") +
                   ": " + outcome.detail);
  }
  (void)store::write_and_wait(deps_.writer, [&](store::Database& db) -> Result<void> {
    if (auto ok = store::mark_failed(db, m.id, outcome.detail, next); !ok) return ok;
    if (outcome.off) return {};
    return store::set_status_report(db, subject.run, report(state, outcome.detail));
  });
}

Result<void> Dispatcher::send(const store::OutboxMessage& m,
                              const config::NotificationSink& sink) const {
  const Fields fields = fields_of(m.payload);
  auto secret_file = [&](const std::string& file) -> Result<std::string> {
    if (file.empty()) return std::string();
    return config::read_secret(deps_.daemon.secrets_dir,
                               config::SecretRef{file, "notifications (" + sink.type + "): "});
  };
  auto secret = secret_file(sink.secret);
  if (!secret) return std::unexpected(secret.error());
  if (sink.type == "email") {
    auto password = secret_file(sink.password);
    if (!password) return std::unexpected(password.error());
    SmtpMessage mail;
    mail.url = sink.smtp;
    mail.starttls = sink.starttls;
    mail.ca_file = sink.ca_file;
    mail.username = sink.username;
    mail.password = *password;
    mail.from = sink.from;
    if (m.event == "approval_requested") {
      if (auto to = field(fields, "approver_email"); !to.empty()) mail.to = {to};
    } else {
      mail.to = sink.to;
    }
    const std::string domain = sink.from.substr(sink.from.find('@') + 1);
    mail.message =
        email_message(sink.from, mail.to, m.event, fields, rfc5322_date(deps_.clock.now()),
                      "juanie." + std::to_string(m.id) + "@" + domain);
    return transport_.mail(mail);
  }
  // A link is its approver's alone: never to a channel others read (an outbox row from
  // before group messages lost their links, or a sink that changed type).
  const std::string link = field(fields, "link");
  if (!link.empty() && !(sink.type == "slack" && !sink.token.empty())) {
    return fail("refusing to send an approver's link to a " + sink.type + " group channel");
  }
  auto url = secret_file(sink.url);
  if (!url) return std::unexpected(url.error());
  if (sink.type == "webhook") {
    const std::string body = webhook_body(m.id, m.event, fields);
    std::vector<std::pair<std::string, std::string>> headers{
        {"X-Juanie-Event", m.event}, {"X-Juanie-Delivery", std::to_string(m.id)}};
    if (!secret->empty())
      headers.emplace_back("X-Juanie-Signature-256", webhook_signature(*secret, body));
    return post_json(*url, sink.url, body, std::move(headers));
  }
  if (sink.type == "slack") {
    if (!link.empty()) return slack_direct(sink, fields);
    if (sink.url.empty())
      return slack_post(sink, sink.channel, slack_body(m.event, fields, sink.channel));
    return post_json(*url, sink.url, slack_body(m.event, fields), {});
  }
  if (sink.type == "dingtalk") {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(deps_.clock.now().time_since_epoch())
            .count();
    const std::string target = secret->empty() ? *url : dingtalk_signed_url(*url, *secret, ms);
    http::ClientRequest request;
    request.method = "POST";
    request.url = target;
    request.body = dingtalk_body(m.event, fields);
    request.headers = {{"Content-Type", "application/json"}};
    auto response = transport_.send(request);
    if (!response)
      return fail(redact(redact(response.error().message, target, sink.url), *url, sink.url));
    // DingTalk answers 200 for refusals too; errcode says what happened.
    std::error_code ec;
    auto answer = json::parse(response->body, ec);
    if (response->status != 200 || ec || !answer.is_object() ||
        !answer.as_object().contains("errcode") || answer.as_object().at("errcode") != 0) {
      return fail("DingTalk answered HTTP " + std::to_string(response->status) + ": " +
                  response->body.substr(0, 200));
    }
    return {};
  }
  return fail("unknown sink type \"" + sink.type + "\"");
}

}  // namespace juanie::daemon::notify
