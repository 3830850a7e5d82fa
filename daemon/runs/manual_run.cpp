#include "daemon/runs/manual_run.hpp"

#include <algorithm>
#include <cctype>

#include "daemon/runs/git_access.hpp"
#include "daemon/support/crypto.hpp"
#include "pipelines/ascii.hpp"
#include "pipelines/branch_strategy.hpp"
#include "pipelines/ref.hpp"

namespace juanie::daemon {

Result<store::RunRequest> manual_run_request(const config::ProjectConfig& project,
                                             const runner::GitMirrors& mirrors,
                                             const config::SecretsDir& secrets_dir,
                                             const std::string& ref_text, const Starter& who) {
  // Only branches and tags: the mirror also holds refs/pull/… (a fork's commits), which a
  // manual run must not treat as a branch of the project.
  std::vector<std::string> candidates;
  if (ref_text.starts_with("refs/")) {
    if (!pipelines::parse_ref(ref_text)) {
      return fail(ErrorKind::kInvalid,
                  "ref " + ref_text + " is neither refs/heads/… nor refs/tags/…");
    }
    candidates = {ref_text};
  } else if (ref_text.empty()) {
    return fail(ErrorKind::kInvalid, "ref is empty");
  } else {
    candidates = {"refs/heads/" + ref_text, "refs/tags/" + ref_text};
  }
  auto credentials = read_git_credentials(secrets_dir, project.repo_access);
  if (!credentials) return std::unexpected(credentials.error());
  if (auto fetched = mirrors.update(project.repo_url, *credentials, project.repo_fetch); !fetched) {
    return std::unexpected(fetched.error());
  }
  std::optional<pipelines::Ref> ref;
  std::string full_ref, sha;
  for (const std::string& candidate : candidates) {
    auto resolved = mirrors.resolve(project.repo_url, candidate);
    if (!resolved && resolved.error().kind != ErrorKind::kNotFound)
      return std::unexpected(resolved.error());
    if (resolved) {
      full_ref = candidate;
      sha = *resolved;
      ref = pipelines::parse_ref(candidate);
      break;
    }
  }
  if (!ref) return fail(ErrorKind::kNotFound, project.name + " has no branch or tag " + ref_text);
  // No push names the commit's authors here: the commit itself does.
  auto addresses = mirrors.commit_addresses(project.repo_url, sha);
  if (!addresses) return std::unexpected(addresses.error());
  store::RunRequest run;
  run.project = project.name;
  run.forge = "api";
  run.delivery = "manual-" + random_hex(8);
  run.event = "manual";
  run.ref = full_ref;
  run.ref_kind = ref->kind == pipelines::RefKind::kTag ? "tag" : "branch";
  run.branch = ref->name;
  run.sha = sha;
  if (const auto* rule = pipelines::match_rule(project.rules, *ref)) {
    run.environment = rule->environment;
    run.deploy_trigger = std::string(pipelines::to_string(rule->trigger));
  }
  run.trigger = "manual";
  run.pusher = who.name;
  run.sender = who.person;
  for (auto& a : *addresses) {
    a = pipelines::ascii_lower(std::move(a));
    if (std::find(run.author_emails.begin(), run.author_emails.end(), a) ==
        run.author_emails.end()) {
      run.author_emails.push_back(a);
    }
  }
  run.commit_message =
      "started by " + who.name + " (POST /api/v1/projects/" + project.name + "/runs)";
  return run;
}

ManualRuns::ManualRuns(const runner::GitMirrors& mirrors, config::SecretsDir secrets_dir)
    : mirrors_(mirrors), secrets_dir_(std::move(secrets_dir)), thread_([this] { loop(); }) {}

ManualRuns::~ManualRuns() {
  stop();
}

bool ManualRuns::resolve(std::shared_ptr<const config::LoadedProject> project, std::string ref,
                         Starter who, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && jobs_.size() < kMaxWaiting) {
      jobs_.push_back([this, project = std::move(project), ref = std::move(ref),
                       who = std::move(who), done = std::move(done)](bool run) {
        if (!run) return done(fail(ErrorKind::kUnavailable, "the daemon is stopping"));
        done(manual_run_request(project->config, mirrors_, secrets_dir_, ref, who));
      });
      wake_.notify_one();
      return true;
    }
  }
  done(fail(ErrorKind::kUnavailable, "too many manual runs wait to be resolved; retry later"));
  return false;
}

void ManualRuns::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ManualRuns::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    const bool run = !stopping_;
    lock.unlock();
    job(run);
    lock.lock();
  }
}

}  // namespace juanie::daemon
