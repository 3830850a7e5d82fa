#include "support/mail_and_hooks.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace juanie::test {

using namespace std::chrono_literals;

SmtpSink::SmtpSink(const std::filesystem::path& dir, const std::string& cert,
                   const std::string& key, const std::string& auth)
    : dir_(dir) {
  std::filesystem::create_directories(dir_);
  std::vector<std::string> argv{"python3", std::string(JUANIE_TEST_SUPPORT) + "/smtp_sink.py",
                                dir_.string()};
  if (!cert.empty()) argv.insert(argv.end(), {"--tls", cert, key});
  if (!auth.empty()) argv.insert(argv.end(), {"--auth", auth});
  process_ = std::make_unique<BackgroundProcess>(argv);
  const std::string line = process_->first_line();
  port_ = line.empty() ? 0 : std::stoi(line);
  if (port_ == 0 || !wait_for_port(port_, 10))
    throw std::runtime_error("the SMTP sink did not start");
}

std::vector<std::string> SmtpSink::messages() const {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    if (e.path().extension() == ".eml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    out.push_back(text.str());
  }
  return out;
}

std::vector<std::string> SmtpSink::wait_for(std::size_t n) const {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    auto all = messages();
    if (all.size() >= n || std::chrono::steady_clock::now() > deadline) return all;
    std::this_thread::sleep_for(50ms);
  }
}

HookReceiver::HookReceiver() {
  daemon::http::ServerOptions options;
  options.port = 0;
  server_ = std::make_unique<daemon::http::Server>(
      options, [this](daemon::http::Request req, daemon::http::Reply reply) {
        daemon::http::Response answer;
        {
          std::lock_guard lock(mutex_);
          received_.push_back(req);
          if (answers_.empty()) {
            answer = daemon::http::json_response(default_.first, default_.second);
          } else {
            answer = answers_.front();
            answers_.pop_front();
          }
        }
        reply(std::move(answer));
      });
  if (!server_->listen()) throw std::runtime_error("the hook receiver cannot listen");
  thread_ = std::thread([this] { server_->run(1); });
}

HookReceiver::~HookReceiver() {
  server_->drain(std::chrono::milliseconds(500));
  thread_.join();
}

std::string HookReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
}

void HookReceiver::answer_next(int status, std::string body,
                               std::vector<std::pair<std::string, std::string>> headers) {
  auto answer = daemon::http::json_response(status, std::move(body));
  answer.headers = std::move(headers);
  std::lock_guard lock(mutex_);
  answers_.push_back(std::move(answer));
}

void HookReceiver::default_answer(int status, std::string body) {
  std::lock_guard lock(mutex_);
  default_ = {status, std::move(body)};
}

std::vector<daemon::http::Request> HookReceiver::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::vector<daemon::http::Request> HookReceiver::wait_for(std::size_t n) const {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    auto all = received();
    if (all.size() >= n || std::chrono::steady_clock::now() > deadline) return all;
    std::this_thread::sleep_for(50ms);
  }
}

}  // namespace juanie::test
