#pragma once

// Rollouts with the real daemon where the GitOps remote is a real git host: git's own
// http-backend on loopback, whose receive hooks a test installs — to hold a push at a chosen
// moment (HeldHook) or to refuse it. Flux's notification-controller is played by signed posts
// in its wire format (generic-hmac provider).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "daemon/support/crypto.hpp"
#include "integration/deploy_fixture.hpp"
#include "support/git_servers.hpp"

namespace juanie::test {

inline const std::string kRolloutFluxKey = "app-flux-hmac-key";

inline std::string signed_flux_event(const std::string& reason, const std::string& severity,
                                     const std::string& revision,
                                     const std::string& kustomization = "app-dev",
                                     const std::string& kube_namespace = "flux-system",
                                     const std::string& message = "") {
  namespace json = boost::json;
  json::object o;
  o["involvedObject"] = json::object{
      {"kind", "Kustomization"}, {"namespace", kube_namespace}, {"name", kustomization}};
  o["severity"] = severity;
  o["timestamp"] = "2026-11-30T12:00:00Z";
  o["message"] = message.empty() ? reason + " at " + revision : message;
  o["reason"] = reason;
  o["metadata"] = json::object{{"kustomize.toolkit.fluxcd.io/revision", revision}};
  o["reportingController"] = "kustomize-controller";
  return json::serialize(o);
}

inline std::string flux_signature(const std::string& body) {
  return "sha256=" + daemon::hex_encode(daemon::hmac_sha256(kRolloutFluxKey, body));
}

// A receive hook of a bare repository that, while armed, stops the push at the hook until the
// test lets it go: the hook tells it has been reached through one FIFO and waits on another.
// Nothing sleeps; each side blocks on the other. A post-receive hook runs once the branch has
// moved: the pusher has not yet heard that its push landed.
class HeldHook {
 public:
  HeldHook(const std::filesystem::path& repository, const std::string& hook)
      : reached_(repository / "held-reached"), release_(repository / "held-release") {
    EXPECT_EQ(::mkfifo(reached_.c_str(), 0600), 0);
    EXPECT_EQ(::mkfifo(release_.c_str(), 0600), 0);
    const auto file = repository / "hooks" / hook;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << "#!/bin/sh\n"
                           "if [ -p '"
                        << reached_.string() << "' ]; then\n  echo reached > '" << reached_.string()
                        << "'\n  read go < '" << release_.string() << "'\nfi\nexit 0\n";
    std::filesystem::permissions(file, std::filesystem::perms::owner_all);
  }
  ~HeldHook() { release(); }

  // Whether a push reached the hook within `limit` (it then waits there).
  bool wait_reached(std::chrono::seconds limit) {
    const int fd = ::open(reached_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return false;
    pollfd p{fd, POLLIN, 0};
    const bool ready =
        ::poll(&p, 1, static_cast<int>(limit.count() * 1000)) == 1 && (p.revents & POLLIN);
    char buf[16];
    const bool read_it = ready && ::read(fd, buf, sizeof buf) > 0;
    ::close(fd);
    held_ = read_it;
    return read_it;
  }

  // Disarms the hook (later pushes pass) and lets the held push finish.
  void release() {
    std::error_code ignored;
    std::filesystem::remove(reached_, ignored);
    if (!held_) return;
    held_ = false;
    const int fd = ::open(release_.c_str(), O_WRONLY | O_CLOEXEC);  // the hook opens it next
    if (fd < 0) return;
    EXPECT_EQ(::write(fd, "go\n", 3), 3);
    ::close(fd);
  }

 private:
  std::filesystem::path reached_, release_;
  bool held_ = false;
};

// Project `app` (DeployTest's: develop → dev) with Flux feedback, its GitOps repository served
// over git's smart HTTP (so receive hooks run) with a token.
class RolloutFixture : public DeployTest {
 protected:
  void SetUp() override {
    DeployTest::SetUp();
    server = std::make_unique<GitHttpServer>(d.home().path(), "juanie", "gitops-token");
    d.home().write("secrets/gitops.token", "gitops-token\n");
    d.home().write("secrets/app.flux", kRolloutFluxKey + "\n");
    auto project = read_file(d.home() / "projects.d/app.yaml");
    const std::string path_url = "  url: " + (d.home() / "gitops.git").string() + "\n";
    const auto at = project.find(path_url);
    ASSERT_NE(at, std::string::npos) << project;
    project.replace(
        at, path_url.size(),
        "  url: " + server->url("gitops.git") + "\n  username: juanie\n  token: gitops.token\n");
    d.home().write("projects.d/app.yaml", project + "flux: {hmac_key: app.flux}\n");
  }

  std::filesystem::path gitops_repository() const { return d.home() / "gitops.git"; }

  int post_flux(const std::string& body) {
    return d
        .request("POST", "/hooks/flux/app", body,
                 {{"Content-Type", "application/json"}, {"X-Signature", flux_signature(body)}})
        .status;
  }

  // Pushes a develop commit with VERSION `version`; the run it queued.
  std::int64_t push_version(const std::string& version) {
    if (version != "1") sha = app->commit({{"VERSION", version + "\n"}}, "v" + version);
    const std::string body = push_body("refs/heads/develop", sha);
    auto r = d.request("POST", "/hooks/github/app", body, github_headers(body, "v" + version));
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? boost::json::parse(r.body).at("run").as_int64() : 0;
  }

  boost::json::object push(const std::string& version, const std::string& state) {
    return wait_deployment(push_version(version), state);
  }

  boost::json::object deployment(std::int64_t id) {
    auto r = d.api("/api/v1/deployments/" + std::to_string(id));
    if (r.status != 200) return {};
    return boost::json::parse(r.body).as_object();
  }

  boost::json::object wait_state(std::int64_t id, const std::string& state) {
    boost::json::object last;
    for (int i = 0; i < 1200; ++i) {
      last = deployment(id);
      if (last.contains("state") && last.at("state").as_string() == state) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "deployment " << id << " never " << state << ": "
                  << boost::json::serialize(last) << d.log();
    return last;
  }

  boost::json::object environment(const std::string& name) {
    auto all = boost::json::parse(d.api("/api/v1/projects/app/environments").body).as_object();
    for (const auto& e : all.at("environments").as_array()) {
      if (e.at("name").as_string() == name) return e.as_object();
    }
    return {};
  }

  // Polls the store until every stored Flux event has an outcome (up to 60 s).
  bool all_flux_events_weighed() {
    const std::string db = (d.home() / "data/juanie.db").string();
    for (int i = 0; i < 600; ++i) {
      if (count_rows(db, "SELECT count(*) FROM flux_events WHERE outcome IS NULL") == 0)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  long long flux_outcomes(const std::string& outcome) {
    return count_rows((d.home() / "data/juanie.db").string(),
                      "SELECT count(*) FROM flux_events WHERE outcome = '" + outcome + "'");
  }

  std::string gitops(const std::string& args) {
    return git("-C " + gitops_repository().string() + " " + args);
  }
  static std::string text(const boost::json::value& v) {
    return v.is_string() ? std::string(v.as_string()) : std::string();
  }

  std::unique_ptr<GitHttpServer> server;
};

}  // namespace juanie::test
