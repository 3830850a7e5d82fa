#pragma once

#include <deque>
#include <mutex>
#include <vector>

#include "daemon/notify/transport.hpp"

namespace juanie::test {

// The Dispatcher's transport in component tests: records every request and mail, and answers
// requests with the statuses it was given, in order (200 once they run out). No socket.
class RecordingTransport final : public daemon::notify::Transport {
 public:
  void answer_with(std::deque<int> statuses) {
    std::lock_guard lock(mutex_);
    statuses_ = std::move(statuses);
  }
  std::vector<daemon::http::ClientRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<daemon::notify::SmtpMessage> mails() const {
    std::lock_guard lock(mutex_);
    return mails_;
  }

  Result<daemon::http::ClientResponse> send(
      const daemon::http::ClientRequest& request) const override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    daemon::http::ClientResponse response;
    response.status = 200;
    if (!statuses_.empty()) {
      response.status = statuses_.front();
      statuses_.pop_front();
    }
    response.body = response.status == 200 ? "ok" : "unavailable";
    return response;
  }
  Result<void> mail(const daemon::notify::SmtpMessage& message) const override {
    std::lock_guard lock(mutex_);
    mails_.push_back(message);
    return {};
  }

 private:
  mutable std::mutex mutex_;
  mutable std::deque<int> statuses_;
  mutable std::vector<daemon::http::ClientRequest> requests_;
  mutable std::vector<daemon::notify::SmtpMessage> mails_;
};

}  // namespace juanie::test
