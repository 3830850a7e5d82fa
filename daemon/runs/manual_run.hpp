#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/config/loader.hpp"
#include "daemon/store/runs.hpp"
#include "pipelines/error.hpp"
#include "runner/git_mirror.hpp"

namespace juanie::daemon {

// Who starts a run by hand: an API token's name and the person it belongs to (empty when the
// token names none). Both count as the run's trigger: neither approves its deployment.
struct Starter {
  std::string name;
  std::string person;
};

// The run a manual trigger of `ref_text` (a branch or tag name, or refs/heads/… / refs/tags/…)
// asks for: the ref's head now, fetched into the shared mirror (under its lock), with the
// project's branch rules applied exactly as for a push. The commit is never the caller's
// choice. Errors: kInvalid for a ref that names neither a branch nor a tag (refs/pull/…),
// kNotFound when the repository has no such branch or tag, kUnavailable when the fetch fails.
// Blocks on the network: call it off the HTTP threads.
Result<store::RunRequest> manual_run_request(const config::ProjectConfig& project,
                                             const runner::GitMirrors& mirrors,
                                             const config::SecretsDir& secrets_dir,
                                             const std::string& ref_text, const Starter& who);

// Resolves manual runs one after another on a thread of its own, so a slow fetch holds no
// HTTP thread. At most `kMaxWaiting` wait; more are refused (the caller answers 503).
class ManualRuns {
 public:
  static constexpr std::size_t kMaxWaiting = 32;
  using Done = std::function<void(Result<store::RunRequest>)>;

  ManualRuns(const runner::GitMirrors& mirrors, config::SecretsDir secrets_dir);
  ~ManualRuns();
  ManualRuns(const ManualRuns&) = delete;
  ManualRuns& operator=(const ManualRuns&) = delete;

  // Later, on the resolver's thread: done(manual_run_request(...)). When too many wait (or it
  // stops), done(kUnavailable) at once, and false.
  bool resolve(std::shared_ptr<const config::LoadedProject> project, std::string ref, Starter who,
               Done done);
  // Finishes the job in hand, answers the waiting ones kUnavailable, joins the thread.
  void stop();

 private:
  void loop();

  const runner::GitMirrors& mirrors_;
  config::SecretsDir secrets_dir_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void(bool)>> jobs_;  // bool: run (true) or refuse (false)
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace juanie::daemon
