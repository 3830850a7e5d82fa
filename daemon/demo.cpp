#include "daemon/demo.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "daemon/crypto.hpp"
#include "daemon/http/client.hpp"

extern char** environ;

namespace juanie::daemon {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kWebhookSecret = "demo-webhook-secret";
constexpr const char* kApiToken = "demo-api-token";

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

void write_home(const fs::path& home, int port) {
  fs::create_directories(home / "projects.d");
  fs::create_directories(home / "secrets");
  write_file(home / "secrets" / "demo.webhook", std::string(kWebhookSecret) + "\n");
  write_file(home / "juanie.yaml",
             "listen: 127.0.0.1:" + std::to_string(port) +
                 "\n"
                 "public_url: http://127.0.0.1:" + std::to_string(port) +
                 "\n"
                 "data_dir: data\n"
                 "projects_dir: projects.d\n"
                 "secrets_dir: secrets\n"
                 "api_tokens:\n"
                 "  - name: demo\n"
                 "    sha256: " + hex_encode(sha256(kApiToken)) + "\n");
  write_file(home / "projects.d" / "shop-api.yaml",
             "name: shop-api\n"
             "repo:\n"
             "  url: https://github.com/acme/shop-api.git\n"
             "  forge: github\n"
             "  webhook_secret: demo.webhook\n"
             "image: registry.example.com/acme/shop-api\n"
             "environments:\n"
             "  prod: {approvers: [alice], required_approvals: 1}\n"
             "approvers:\n"
             "  alice: {email: alice@example.com}\n");
}

std::string push_body(const std::string& branch, const std::string& sha) {
  return R"({"ref":"refs/heads/)" + branch +
         R"(","before":"0123456789abcdef0123456789abcdef01234567","after":")" + sha +
         R"(","created":false,"deleted":false,"forced":false,)"
         R"("head_commit":{"id":")" + sha +
         R"(","message":"Demo change on )" + branch +
         R"(","author":{"name":"Demo Dev","email":"dev@example.com"}},)"
         R"("repository":{"full_name":"acme/shop-api"},"pusher":{"name":"demo-dev"}})";
}

pid_t start_daemon(const fs::path& home) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string config = (home / "juanie.yaml").string();
  std::vector<char*> argv{const_cast<char*>(self.c_str()), const_cast<char*>("serve"),
                          const_cast<char*>("--config"), const_cast<char*>(config.c_str()),
                          nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ) != 0) return -1;
  return pid;
}

bool wait_healthy(const std::string& base) {
  for (int i = 0; i < 100; ++i) {
    auto r = http::send(
        {.method = "GET", .url = base + "/healthz", .timeout = std::chrono::milliseconds(500)});
    if (r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void send_push(const std::string& base, const std::string& branch, const std::string& sha,
               const std::string& delivery) {
  const std::string body = push_body(branch, sha);
  http::ClientRequest req{
      .method = "POST",
      .url = base + "/hooks/github/shop-api",
      .headers = {{"Content-Type", "application/json"},
                  {"X-GitHub-Event", "push"},
                  {"X-GitHub-Delivery", delivery},
                  {"X-Hub-Signature-256", "sha256=" + hex_encode(hmac_sha256(kWebhookSecret, body))}},
      .body = body};
  auto r = http::send(req);
  std::cout << "\n→ signed push to " << branch << " (" << sha.substr(0, 7) << ")\n";
  if (!r) {
    std::cout << "  failed: " << r.error().message << '\n';
    return;
  }
  std::cout << "  " << r->status << " " << r->body << std::flush;
}

void print_runs(const std::string& base) {
  auto r = http::send({.method = "GET",
                       .url = base + "/api/v1/runs?project=shop-api",
                       .headers = {{"Authorization", std::string("Bearer ") + kApiToken}}});
  if (!r || r->status != 200) {
    std::cout << "cannot list runs\n";
    return;
  }
  std::cout << "\nqueued runs (GET /api/v1/runs?project=shop-api):\n";
  std::printf("  %-4s %-10s %-9s %-12s %-7s %s\n", "run", "branch", "sha", "environment",
              "state", "deploys");
  const json::value doc = json::parse(r->body);
  for (const auto& run : doc.at("runs").as_array()) {
    const auto& o = run.as_object();
    const auto env = o.at("environment").is_null() ? std::string("-")
                                                    : std::string(o.at("environment").as_string());
    const std::string deploy = std::string(o.at("deploy_trigger").as_string()) == "manual"
                                   ? "after a manual trigger and approval"
                                   : "on success";
    std::printf("  %-4lld %-10s %-9s %-12s %-7s %s\n",
                static_cast<long long>(o.at("id").as_int64()),
                std::string(o.at("branch").as_string()).c_str(),
                std::string(o.at("sha").as_string()).substr(0, 7).c_str(), env.c_str(),
                std::string(o.at("state").as_string()).c_str(), deploy.c_str());
  }
}

}  // namespace

int run_demo(const std::vector<std::string>& args) {
  const bool keep = !args.empty() && args[0] == "--keep";
  char tmpl[] = "/tmp/juanie-demo.XXXXXX";
  if (!::mkdtemp(tmpl)) {
    std::perror("juanie demo: mkdtemp");
    return 1;
  }
  const fs::path home = tmpl;
  const int port = free_port();
  write_home(home, port);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  std::cout << "juanie demo: home " << home.string() << ", daemon on " << base << "\n\n";
  const pid_t pid = start_daemon(home);
  int status = 1;
  if (pid > 0 && wait_healthy(base)) {
    send_push(base, "develop", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "demo-delivery-1");
    send_push(base, "main", "b2c3d4e5f60718293a4b5c6d7e8f901234567890", "demo-delivery-2");
    std::cout << "\n→ the same develop delivery again (a forge's retry)\n";
    send_push(base, "develop", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "demo-delivery-1");
    print_runs(base);
    status = 0;
  } else {
    std::cout << "the daemon did not become healthy\n";
  }
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    int ignored = 0;
    ::waitpid(pid, &ignored, 0);
  }
  if (keep) {
    std::cout << "\nkept " << home.string() << " (juanie serve --config " << (home / "juanie.yaml").string() << ")\n";
  } else {
    std::error_code ec;
    fs::remove_all(home, ec);
  }
  return status;
}

}  // namespace juanie::daemon
