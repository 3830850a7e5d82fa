#include "daemon/cmd/demo.hpp"

#include <fcntl.h>
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
#include <string>
#include <thread>
#include <vector>

#include "daemon/cmd/demo_flux.hpp"
#include "daemon/http/client.hpp"
#include "daemon/support/crypto.hpp"
#include "runner/step_cgroup.hpp"

extern char** environ;

namespace juanie::daemon {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kWebhookSecret = "demo-webhook-secret";
constexpr const char* kApiToken = "demo-api-token";
constexpr const char* kFluxKey = "demo-flux-hmac-key";
// A base image made here from Debian's busybox-static: no registry is reachable to pull one.
constexpr const char* kBaseImage = "localhost/juanie-demo-base:1";

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

constexpr const char* kPipeline =
    "steps:\n"
    "  - name: build\n"
    "    commands: [\"echo compiling shop-api at $JUANIE_SHA\", \"mkdir -p dist && echo binary > "
    "dist/shop-api\"]\n"
    "  - name: test\n"
    "    depends_on: [build]\n"
    "    commands: [\"test -f dist/shop-api\", \"echo 12 tests passed on $JUANIE_BRANCH\"]\n"
    "image:\n"
    "  dockerfile: Dockerfile\n";

// The stages of the flow that did not go as the demo shows it: each is printed as it happens
// and again at the end, and any makes `juanie demo` exit 1 (a newcomer, and `make demo` in CI,
// must not read a broken flow as a working one).
class Failures {
 public:
  // False (and the failure noted) unless `ok`.
  bool check(bool ok, const std::string& stage) {
    if (!ok) {
      list_.push_back(stage);
      std::cout << "  ✗ " << stage << '\n' << std::flush;
    }
    return ok;
  }
  const std::vector<std::string>& list() const { return list_; }

 private:
  std::vector<std::string> list_;
};

// A bare repository standing in for GitHub, with a develop and a main commit. Returns the
// two commit ids, or empty strings when git is missing.
// The example repository's heads: develop, main (a release of it), and a later develop
// commit whose rollout the demo has Flux fail.
struct DemoCommits {
  std::string develop, main, develop_next;
};

DemoCommits make_repository(const fs::path& home) {
  const std::string bare = (home / "shop-api.git").string();
  const std::string work = (home / "shop-api").string();
  fs::create_directories(work);
  write_file(fs::path(work) / ".juanie.yml", kPipeline);
  write_file(fs::path(work) / "main.go", "package main\n\nfunc main() {}\n");
  write_file(fs::path(work) / "Dockerfile",
             std::string("FROM ") + kBaseImage +
                 "\nCOPY dist/ /app/\nCMD [\"/bin/sh\", \"-c\", \"cat /app/shop-api\"]\n");
  const std::string git =
      "git -C " + work + " -c user.email=dev@example.com -c user.name='Demo Dev' ";
  const std::string script =
      "git init -q --bare -b develop " + bare + " && git init -q -b develop " + work + " && " +
      git + "add -A && " + git + "commit -qm 'Add the order endpoint' && " + git +
      "checkout -q -b main && " + git + "commit -q --allow-empty -m 'Release 1.0' && " + git +
      "checkout -q develop && printf 'ENV ORDER_CACHE=on\\n' >> " + work + "/Dockerfile && " + git +
      "commit -qam 'Cache the order list' && " + git + "push -q " + bare + " develop main";
  if (std::system((script + " >/dev/null 2>&1").c_str()) != 0) return {};
  auto rev = [&](const std::string& ref) {
    std::string out;
    if (FILE* p = ::popen(("git -C " + work + " rev-parse " + ref).c_str(), "r")) {
      char buf[64] = {};
      if (std::fgets(buf, sizeof buf, p)) out = buf;
      ::pclose(p);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  };
  return {rev("develop~1"), rev("main"), rev("develop")};
}

// The pieces of the deployment side: a local registry and a GitOps repository laid out by
// `juanie project init`. Returns the registry process (or -1 when docker-registry is missing).
pid_t start_registry(const fs::path& home, int port) {
  fs::create_directories(home / "registry");
  write_file(home / "registry" / "config.yml",
             "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " +
                 (home / "registry" / "data").string() +
                 "\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port) + "\n");
  const std::string config = (home / "registry" / "config.yml").string();
  std::vector<char*> argv{const_cast<char*>("docker-registry"), const_cast<char*>("serve"),
                          const_cast<char*>(config.c_str()), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = (home / "registry" / "registry.log").string();
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 2, 1);  // its access log too
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "docker-registry", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

bool prepare_deployment(const fs::path& home, int registry_port) {
  const std::string root = (home / "base-root").string();
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string script =
      "(podman image exists " + std::string(kBaseImage) + " || (mkdir -p " + root + "/bin " + root +
      "/tmp && chmod 1777 " + root + "/tmp && cp /bin/busybox " + root + "/bin/ && ln -s busybox " +
      root + "/bin/sh && ln -s busybox " + root + "/bin/cat && tar -C " + root + " -cf " + root +
      ".tar . && podman import " + root + ".tar " + kBaseImage +
      ")) && git init -q --bare -b main " + (home / "shop-api-gitops.git").string() + " && " +
      self + " project init shop-api --image 127.0.0.1:" + std::to_string(registry_port) +
      "/acme/shop-api --gitops-url " + (home / "shop-api-gitops.git").string() +
      " --hooks-url http://127.0.0.1 --push";
  return std::system(("(" + script + ") >/dev/null 2>&1").c_str()) == 0;
}

// The demo must run where a newcomer tries it: where no memory cgroup can be made (a login
// without a delegated cgroup), it runs steps without a memory limit and says so, rather than
// have `juanie serve` refuse to start.
std::string demo_sandbox() {
  auto cgroups = runner::StepCgroups::open();
  if (cgroups && (*cgroups)->memory()) return "";
  std::cout << "juanie demo: no writable memory cgroup here ("
            << (cgroups ? (*cgroups)->describe() : cgroups.error().message)
            << "); the demo's steps run without a memory limit (sandbox.memory: 0)\n";
  return "sandbox: {memory: 0}\n";
}

void write_home(const fs::path& home, int port, int registry_port) {
  fs::create_directories(home / "projects.d");
  fs::create_directories(home / "secrets");
  write_file(home / "secrets" / "demo.webhook", std::string(kWebhookSecret) + "\n");
  write_file(home / "secrets" / "approval.key", random_hex(32) + "\n");
  write_file(home / "secrets" / "demo.flux", std::string(kFluxKey) + "\n");
  write_file(home / "juanie.yaml", "listen: 127.0.0.1:" + std::to_string(port) +
                                       "\n"
                                       "public_url: http://127.0.0.1:" +
                                       std::to_string(port) +
                                       "\n"
                                       "data_dir: data\n"
                                       "projects_dir: projects.d\n"
                                       "secrets_dir: secrets\n"
                                       "approvals: {signing_key: approval.key, link_ttl: 24h}\n" +
                                       demo_sandbox() +
                                       "api_tokens:\n"
                                       "  - name: demo\n"
                                       "    sha256: " +
                                       hex_encode(sha256(kApiToken)) + "\n");
  write_file(home / "projects.d" / "shop-api.yaml",
             "name: shop-api\n"
             "repo:\n"
             "  url: " +
                 (home / "shop-api.git").string() +
                 "\n"
                 "  forge: github\n"
                 "  webhook_secret: demo.webhook\n"
                 "image: 127.0.0.1:" +
                 std::to_string(registry_port) +
                 "/acme/shop-api\n"
                 "registry: {tls_verify: false}\n"
                 "gitops:\n  url: " +
                 (home / "shop-api-gitops.git").string() +
                 "\n"
                 "environments:\n"
                 "  prod: {approvers: [alice], required_approvals: 1}\n"
                 "approvers:\n"
                 "  alice: {email: alice@example.com}\n"
                 "flux: {hmac_key: demo.flux}\n");
}

std::string push_body(const std::string& branch, const std::string& sha) {
  return R"({"ref":"refs/heads/)" + branch +
         R"(","before":"0123456789abcdef0123456789abcdef01234567","after":")" + sha +
         R"(","created":false,"deleted":false,"forced":false,)"
         R"("head_commit":{"id":")" +
         sha + R"(","message":"Demo change on )" + branch +
         R"(","author":{"name":"Demo Dev","email":"dev@example.com"}},)"
         R"("repository":{"full_name":"acme/shop-api"},"pusher":{"name":"demo-dev"}})";
}

pid_t start_daemon(const fs::path& home) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string config = (home / "juanie.yaml").string();
  std::vector<char*> argv{const_cast<char*>(self.c_str()), const_cast<char*>("serve"),
                          const_cast<char*>("--config"), const_cast<char*>(config.c_str()),
                          nullptr};
  // The daemon's own log goes to a file, shown at the end, so the demo's story reads in order.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = (home / "juanie.log").string();
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
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
               const std::string& delivery, int expected, Failures& failures) {
  const std::string body = push_body(branch, sha);
  http::ClientRequest req{.method = "POST",
                          .url = base + "/hooks/github/shop-api",
                          .headers = {{"Content-Type", "application/json"},
                                      {"X-GitHub-Event", "push"},
                                      {"X-GitHub-Delivery", delivery},
                                      {"X-Hub-Signature-256",
                                       "sha256=" + hex_encode(hmac_sha256(kWebhookSecret, body))}},
                          .body = body};
  auto r = http::send(req);
  std::cout << "\n→ signed push to " << branch << " (" << sha.substr(0, 7) << ")\n";
  if (!r) {
    std::cout << "  failed: " << r.error().message << '\n';
    failures.check(false, "push to " + branch + ": " + r.error().message);
    return;
  }
  std::cout << "  " << r->status << " " << r->body << std::flush;
  failures.check(r->status == expected, "push to " + branch + ": answered " +
                                            std::to_string(r->status) + ", not " +
                                            std::to_string(expected));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// Follows a run through the API until it ends, then prints its steps and log; true when it
// succeeded.
bool follow_run(const std::string& base, long long run, Failures& failures) {
  const http::ClientRequest get{.method = "GET",
                                .url = base + "/api/v1/runs/" + std::to_string(run),
                                .headers = {{"Authorization", std::string("Bearer ") + kApiToken}}};
  std::cout << "\n→ waiting for run " << run << " to finish" << std::flush;
  json::value doc;
  for (int i = 0; i < 600; ++i) {
    auto r = http::send(get);
    if (r && r->status == 200) {
      doc = json::parse(r->body);
      const std::string state(doc.at("state").as_string());
      if (state == "succeeded" || state == "failed" || state == "cancelled") break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!failures.check(doc.is_object(), "run " + std::to_string(run) + " could not be read"))
    return false;
  std::cout << ": " << std::string(doc.at("state").as_string()) << "\n";
  const bool succeeded = failures.check(
      doc.at("state").as_string() == "succeeded",
      "run " + std::to_string(run) + " ended " + std::string(doc.at("state").as_string()));
  for (const auto& step : doc.at("steps").as_array()) {
    std::cout << "  " << std::string(step.at("name").as_string()) << ": "
              << std::string(step.at("state").as_string()) << "\n";
  }
  auto log = http::send({.method = "GET",
                         .url = base + "/api/v1/runs/" + std::to_string(run) + "/log",
                         .headers = {{"Authorization", std::string("Bearer ") + kApiToken}}});
  if (log && log->status == 200) {
    std::cout << "\nGET /api/v1/runs/" << run << "/log:\n" << log->body;
  }
  return succeeded;
}

// The deployment of run 1: its record, the image's tags in the registry, the GitOps commit.
void show_deployment(const std::string& base, const fs::path& home, int registry_port,
                     const DemoFlux& flux, Failures& failures) {
  json::value deployment;
  for (int i = 0; i < 300; ++i) {
    auto r = http::send({.method = "GET",
                         .url = base + "/api/v1/deployments?project=shop-api",
                         .headers = {{"Authorization", std::string("Bearer ") + kApiToken}}});
    if (r && r->status == 200) {
      const auto doc = json::parse(r->body);
      for (const auto& d : doc.at("deployments").as_array()) {
        const std::string state(d.at("state").as_string());
        if (d.at("run").as_int64() == 1 &&
            (state == "deploying" || state == "success" || state == "failed"))
          deployment = d;
      }
    }
    if (deployment.is_object()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!deployment.is_object()) {
    std::cout << "\nno deployment of run 1 finished\n";
    failures.check(false, "the deployment of run 1 (develop → dev) did not finish");
    return;
  }
  if (deployment.at("state").as_string() == "deploying") {
    const std::string commit(deployment.at("gitops_commit").as_string());
    std::cout << "\ndeployment " << deployment.at("id").as_int64()
              << " of run 1: deploying — committed " << commit.substr(0, 12)
              << ", waiting for Flux's word on it\n→ Flux (played): ReconciliationSucceeded for "
              << "shop-api-dev at main@sha1:" << commit.substr(0, 12) << ": "
              << flux.tell("dev", "ReconciliationSucceeded", "info", commit,
                           "Applied revision: main@sha1:" + commit)
              << "\n";
    if (auto done = flux.wait(deployment.at("id").as_int64(), {"success", "failed"});
        done.is_object()) {
      deployment = done;
    }
  }
  const auto& d = deployment.as_object();
  failures.check(
      d.at("state").as_string() == "success",
      "the deployment of run 1 (develop → dev) ended " + std::string(d.at("state").as_string()));
  std::cout << "\ndeployment " << d.at("id").as_int64()
            << " of run 1: " << std::string(d.at("state").as_string()) << ", "
            << std::string(d.at("image").as_string()) << ":" << std::string(d.at("tag").as_string())
            << " → " << std::string(d.at("environment").as_string()) << "\n";
  std::cout << "\nthe registry's tags (GET /v2/acme/shop-api/tags/list):\n  " << std::flush;
  std::system(("curl -s http://127.0.0.1:" + std::to_string(registry_port) +
               "/v2/acme/shop-api/tags/list; echo")
                  .c_str());
  std::cout << "\nthe GitOps commit (git show main):\n" << std::flush;
  std::system(("git --no-pager -C " + (home / "shop-api-gitops.git").string() +
               " show --stat -p --format='%h %an: %s' main | sed 's/^/  /'")
                  .c_str());
}

std::string run_command(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string deployment_state(const std::string& base, long long id) {
  auto r = http::send({.method = "GET",
                       .url = base + "/api/v1/deployments/" + std::to_string(id),
                       .headers = {{"Authorization", std::string("Bearer ") + kApiToken}}});
  if (!r || r->status != 200) return "?";
  return std::string(json::parse(r->body).at("state").as_string());
}

// main → prod: the deployment waits for its trigger, then for alice's approval through her
// signed link; only then does the prod overlay change.
void show_gate(const std::string& base, const fs::path& home, const DemoFlux& flux,
               Failures& failures) {
  long long id = 0;
  std::string main_run;  // run 2, the push to main: its deployment waits only if it succeeded
  for (int i = 0; i < 600 && id == 0 &&
                  (main_run.empty() || main_run == "queued" || main_run == "running" ||
                   main_run == "succeeded");
       ++i) {
    auto m = http::send({.method = "GET",
                         .url = base + "/api/v1/runs/2",
                         .headers = {{"Authorization", std::string("Bearer ") + kApiToken}}});
    if (m && m->status == 200) main_run = std::string(json::parse(m->body).at("state").as_string());
    auto r = http::send({.method = "GET",
                         .url = base + "/api/v1/deployments?project=shop-api",
                         .headers = {{"Authorization", std::string("Bearer ") + kApiToken}}});
    if (r && r->status == 200) {
      const json::value doc = json::parse(r->body);  // outlives the loop over its array
      for (const auto& d : doc.at("deployments").as_array()) {
        if (d.at("environment").as_string() == "prod" && d.at("state").as_string() == "pending") {
          id = d.at("id").as_int64();
        }
      }
    }
    if (id == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (id == 0) {
    std::cout << "\nno prod deployment is waiting (did the main run fail?)\n";
    failures.check(false,
                   "no prod deployment waited for its trigger (run 2 of main: " + main_run + ")");
    return;
  }
  std::cout << "\ndeployment " << id
            << " (main → prod): pending. A push to main never changes prod "
            << "by itself.\n";
  auto t = http::send({.method = "POST",
                       .url = base + "/api/v1/deployments/" + std::to_string(id) + "/trigger",
                       .headers = {{"Authorization", std::string("Bearer ") + kApiToken}}});
  std::cout << "\n→ POST /api/v1/deployments/" << id
            << "/trigger (or: juanie trigger --config FILE "
            << "shop-api main)\n  " << (t ? std::to_string(t->status) + " " + t->body : "failed\n");
  failures.check(t && t->status == 202, "the prod deployment's trigger was refused");
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string link =
      run_command(self + " approval-link --config " + (home / "juanie.yaml").string() + " " +
                  std::to_string(id) + " alice 2>&1");
  std::cout << "\n→ juanie approval-link --config " << (home / "juanie.yaml").string() << " " << id
            << " alice\n  " << link << "\n";
  if (!failures.check(link.starts_with("http"), "juanie approval-link printed no link")) return;
  auto page = http::send({.method = "GET", .url = link});
  if (!failures.check(page && page->status == 200, "the approval page did not open")) return;
  std::cout << "\n→ GET the link (what a mail scanner does too): " << page->status << ", "
            << page->header("Cache-Control") << ", " << page->header("Referrer-Policy")
            << "; the deployment is still " << deployment_state(base, id) << "\n";
  constexpr std::string_view kCsrf = "name=\"csrf\" value=\"";
  const auto at = page->body.find(kCsrf);
  const auto from = at + kCsrf.size();
  const std::string csrf =
      at == std::string::npos ? "" : page->body.substr(from, page->body.find('"', from) - from);
  auto posted = http::send({.method = "POST",
                            .url = link,
                            .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                            .body = "csrf=" + csrf + "&decision=approve&comment=demo"});
  if (!failures.check(posted && posted->status == 200, "alice's approval was not recorded")) return;
  const auto h1 = posted->body.find("<h1>");
  std::cout << "→ POST the form's Approve: " << posted->status << " "
            << (h1 == std::string::npos
                    ? ""
                    : posted->body.substr(h1 + 4, posted->body.find("</h1>") - h1 - 4))
            << "\n";
  auto again = http::send({.method = "POST",
                           .url = link,
                           .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                           .body = "csrf=" + csrf + "&decision=approve"});
  if (again) std::cout << "→ the same link again: " << again->status << " (a link works once)\n";
  failures.check(again && again->status == 409, "a used approval link was not refused");
  auto committed = flux.wait(id, {"deploying", "success", "failed"});
  std::string state = committed.is_object() ? std::string(committed.at("state").as_string()) : "?";
  if (state == "deploying") {
    const std::string commit(committed.at("gitops_commit").as_string());
    std::cout << "\ndeployment " << id << ": deploying; → Flux (played): "
              << "ReconciliationSucceeded for shop-api-prod: "
              << flux.tell("prod", "ReconciliationSucceeded", "info", commit,
                           "Applied revision: main@sha1:" + commit)
              << "\n";
    auto done = flux.wait(id, {"success", "failed"});
    state = done.is_object() ? std::string(done.at("state").as_string()) : "?";
  }
  std::cout << "\ndeployment " << id << ": " << state << "; the prod overlay's commit:\n"
            << std::flush;
  failures.check(state == "success", "the approved prod deployment ended " + state);
  std::system(("git --no-pager -C " + (home / "shop-api-gitops.git").string() +
               " show --stat --format='%h %an: %s' main | sed 's/^/  /'")
                  .c_str());
}

// A later develop commit whose rollout Flux reports failed: dev goes back to the image that
// worked, by a new GitOps commit; the rollback's own rollout is confirmed like any other.
void show_rollback(const std::string& base, const fs::path& home, const std::string& sha,
                   const DemoFlux& flux, Failures& failures) {
  std::cout << "\n→ a later develop commit, " << sha.substr(0, 7) << ", whose rollout will fail\n";
  send_push(base, "develop", sha, "demo-delivery-3", 202, failures);
  if (!follow_run(base, 3, failures)) return;
  json::value d;
  for (int i = 0; i < 600 && !d.is_object(); ++i) {
    auto run = flux.get("/api/v1/runs/3");
    if (run.is_object() && run.at("deployment").is_object()) {
      d = flux.wait(run.at("deployment").at("id").as_int64(), {"deploying", "success", "failed"});
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (!failures.check(d.is_object() && d.at("state").as_string() == "deploying",
                      "the deployment of run 3 did not wait for Flux")) {
    return;
  }
  const long long id = d.at("id").as_int64();
  const std::string commit(d.at("gitops_commit").as_string());
  std::cout << "\ndeployment " << id << " of run 3: deploying; → Flux (played): "
            << "HealthCheckFailed for shop-api-dev at main@sha1:" << commit.substr(0, 12) << ": "
            << flux.tell("dev", "HealthCheckFailed", "error", commit,
                         "Health check failed after 5m0s: timeout waiting for: "
                         "[Deployment/dev/shop-api status: 'InProgress']")
            << "\n";
  // failed comes first (the verdict), rolled_back once the revert is committed: only
  // rolled_back ends the wait, or the wait's minute — then the state says what happened.
  auto undone = flux.wait(id, {"rolled_back", "success"});
  if (!undone.is_object()) undone = flux.wait(id, {"failed", "deploying", "rolled_back"});
  const std::string state = undone.is_object() ? std::string(undone.at("state").as_string()) : "?";
  if (!failures.check(state == "rolled_back", "the failed rollout of deployment " +
                                                  std::to_string(id) + " ended " + state +
                                                  ", not rolled back")) {
    return;
  }
  const std::string rollback_commit(undone.at("rollback_commit").as_string());
  std::cout << "\ndeployment " << id << ": rolled_back — "
            << std::string(undone.at("reason").as_string())
            << "\nthe rollback, a new GitOps commit (no history rewritten):\n"
            << std::flush;
  std::system(("git --no-pager -C " + (home / "shop-api-gitops.git").string() +
               " show -p --format='  %h %an: %s' " + rollback_commit + " | sed 's/^/  /'")
                  .c_str());
  auto list = flux.get("/api/v1/deployments?project=shop-api&limit=1");
  if (list.is_object() && !list.at("deployments").as_array().empty()) {
    const auto& rollback = list.at("deployments").as_array().at(0);
    std::cout << "→ Flux (played): ReconciliationSucceeded for the rollback's commit: "
              << flux.tell("dev", "ReconciliationSucceeded", "info", rollback_commit,
                           "Applied revision: main@sha1:" + rollback_commit)
              << "\n";
    auto done = flux.wait(rollback.at("id").as_int64(), {"success", "failed"});
    failures.check(done.is_object() && done.at("state").as_string() == "success",
                   "the rollback's rollout was not confirmed");
  }
  auto envs = flux.get("/api/v1/projects/shop-api/environments");
  if (envs.is_object()) {
    std::cout << "\nenvironments (GET /api/v1/projects/shop-api/environments):\n";
    for (const auto& e : envs.at("environments").as_array()) {
      const auto& current = e.at("current");
      std::cout << "  " << std::string(e.at("name").as_string()) << ": "
                << std::string(e.at("state").as_string())
                << (current.is_object() ? ", runs " + std::string(current.at("tag").as_string())
                                        : std::string(", nothing deployed"))
                << "\n";
    }
  }
}

void print_runs(const std::string& base, Failures& failures) {
  auto r = http::send({.method = "GET",
                       .url = base + "/api/v1/runs?project=shop-api",
                       .headers = {{"Authorization", std::string("Bearer ") + kApiToken}}});
  if (!r || r->status != 200) {
    std::cout << "cannot list runs\n";
    failures.check(false, "GET /api/v1/runs failed");
    return;
  }
  std::cout << "\nruns (GET /api/v1/runs?project=shop-api):\n";
  std::printf("  %-4s %-10s %-9s %-12s %-10s %s\n", "run", "branch", "sha", "environment", "state",
              "deploys");
  const json::value doc = json::parse(r->body);
  for (const auto& run : doc.at("runs").as_array()) {
    const auto& o = run.as_object();
    const auto env = o.at("environment").is_null() ? std::string("-")
                                                   : std::string(o.at("environment").as_string());
    const std::string deploy = std::string(o.at("deploy_trigger").as_string()) == "manual"
                                   ? "after a manual trigger and approval"
                                   : "on success";
    std::printf("  %-4lld %-10s %-9s %-12s %-10s %s\n",
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
  // Like /var/lib above a real data_dir: the sandbox user may pass through.
  fs::permissions(home, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  const int port = free_port();
  const int registry_port = free_port();
  write_home(home, port, registry_port);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  std::cout << "juanie demo: home " << home.string() << ", daemon on " << base << "\n\n";
  const auto commits = make_repository(home);
  if (commits.develop.empty() || commits.main.empty()) {
    std::cout << "juanie demo: needs git to make the example repository\n";
    return 1;
  }
  Failures failures;
  const pid_t registry = start_registry(home, registry_port);
  if (!failures.check(registry > 0 && prepare_deployment(home, registry_port),
                      "the registry and GitOps repository could not be set up")) {
    std::cout << "juanie demo: needs podman, busybox-static and docker-registry (make deps)\n";
  }
  const pid_t pid = start_daemon(home);
  if (failures.check(pid > 0 && wait_healthy(base), "the daemon did not become healthy")) {
    const DemoFlux flux(base, kApiToken, kFluxKey, "shop-api");
    send_push(base, "develop", commits.develop, "demo-delivery-1", 202, failures);
    send_push(base, "main", commits.main, "demo-delivery-2", 202, failures);
    std::cout << "\n→ the same develop delivery again (a forge's retry)\n";
    send_push(base, "develop", commits.develop, "demo-delivery-1", 200, failures);
    // Without a successful run there is no deployment to wait for.
    if (follow_run(base, 1, failures)) show_deployment(base, home, registry_port, flux, failures);
    show_gate(base, home, flux, failures);
    show_rollback(base, home, commits.develop_next, flux, failures);
    print_runs(base, failures);
  }
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    int exit = 0;
    ::waitpid(pid, &exit, 0);
    failures.check(WIFEXITED(exit) && WEXITSTATUS(exit) == 0,
                   "the daemon did not stop cleanly on SIGTERM");
  }
  if (registry > 0) {
    ::kill(registry, SIGTERM);
    ::waitpid(registry, nullptr, 0);
  }
  std::ifstream daemon_log(home / "juanie.log");
  std::cout << "\nthe daemon's log (stderr, journald under systemd):\n" << daemon_log.rdbuf();
  if (keep) {
    std::cout << "\nkept " << home.string() << " (juanie serve --config "
              << (home / "juanie.yaml").string() << ")\n";
  } else {
    std::error_code ec;
    fs::remove_all(home, ec);
  }
  if (failures.list().empty()) {
    std::cout << "\njuanie demo: every stage went as shown\n";
    return 0;
  }
  std::cout << "\njuanie demo: FAILED — " << failures.list().size() << " stage(s):\n";
  for (const auto& f : failures.list()) std::cout << "  ✗ " << f << '\n';
  return 1;
}

}  // namespace juanie::daemon
