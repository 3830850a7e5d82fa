#pragma once

#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/http/server.hpp"
#include "support/background_process.hpp"

namespace juanie::test {

// An SMTP server (tests/support/smtp_sink.py) on 127.0.0.1: every message it accepts is a file
// in `dir`. With a certificate and key it offers STARTTLS; with `auth` ("user:password") it
// requires AUTH (after STARTTLS when it offers it).
class SmtpSink {
 public:
  explicit SmtpSink(const std::filesystem::path& dir, const std::string& cert = "",
                    const std::string& key = "", const std::string& auth = "");
  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // The messages received so far, oldest first, each with its envelope lines first.
  std::vector<std::string> messages() const;
  // Waits until at least `n` messages arrived (up to 30 s).
  std::vector<std::string> wait_for(std::size_t n) const;

 private:
  std::filesystem::path dir_;
  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0;
};

// An HTTP server on 127.0.0.1 (juanie's own, in this process) that records what is POSTed to
// it and answers with the statuses (and headers) queued by `answer_next`, then the default.
class HookReceiver {
 public:
  HookReceiver();
  ~HookReceiver();
  std::string url(const std::string& path = "/hook") const;
  void answer_next(int status, std::string body = "",
                   std::vector<std::pair<std::string, std::string>> headers = {});
  void default_answer(int status, std::string body);
  std::vector<daemon::http::Request> received() const;
  std::vector<daemon::http::Request> wait_for(std::size_t n) const;

 private:
  mutable std::mutex mutex_;
  std::vector<daemon::http::Request> received_;
  std::deque<daemon::http::Response> answers_;
  std::pair<int, std::string> default_{200, "{}"};
  std::unique_ptr<daemon::http::Server> server_;
  std::thread thread_;
};

}  // namespace juanie::test
