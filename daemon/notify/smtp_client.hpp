#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "pipelines/error.hpp"

namespace juanie::daemon::notify {

struct SmtpMessage {
  std::string url;        // smtp://host:port or smtps://host:port
  bool starttls = false;  // on smtp://: refuse to send unless the server upgrades to TLS
  std::string username;
  std::string password;
  std::string from;
  std::vector<std::string> to;
  std::string message;  // the whole RFC 5322 message
  std::chrono::milliseconds timeout{20'000};
  std::string ca_file;
};

// Sends over libcurl's SMTP. An error names the server's refusal or the failure to reach it.
Result<void> send_mail(const SmtpMessage& mail);

}  // namespace juanie::daemon::notify
