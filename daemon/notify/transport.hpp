#pragma once

#include "daemon/http/client.hpp"
#include "daemon/notify/smtp_client.hpp"

namespace juanie::daemon::notify {

// How the Dispatcher reaches sinks: an HTTP request (webhook, DingTalk, Slack), a mail (SMTP).
// Over the network in the daemon; a recording fake in component tests.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Result<http::ClientResponse> send(const http::ClientRequest& request) const = 0;
  virtual Result<void> mail(const SmtpMessage& message) const = 0;
};

class NetworkTransport final : public Transport {
 public:
  Result<http::ClientResponse> send(const http::ClientRequest& request) const override {
    return http::send(request);
  }
  Result<void> mail(const SmtpMessage& message) const override { return send_mail(message); }
};

}  // namespace juanie::daemon::notify
