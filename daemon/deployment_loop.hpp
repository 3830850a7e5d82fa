#pragma once

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/clock.hpp"
#include "daemon/deployer.hpp"
#include "daemon/log.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/project_registry.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"

namespace juanie::daemon {

struct DeploymentLoopDeps {
  const Deployer& deployer;
  const approvals::ApprovalFlow& flow;
  const notify::Notifier& notifier;
  store::Writer& writer;
  store::Reader& reader;
  const ProjectRegistry& projects;
  const Clock& clock;
  Log& log;
};

// Moves deployments that wait on time or on someone else: cancels those whose approval
// deadline passed, and carries out every `running` deployment nobody in this process is
// carrying out — approved ones, ones `juanie trigger` released from another process, and ones
// a crash interrupted. Runs at start, on wake, and every second.
class DeploymentLoop {
 public:
  explicit DeploymentLoop(DeploymentLoopDeps deps) : deps_(deps) {}
  ~DeploymentLoop() { stop(); }
  DeploymentLoop(const DeploymentLoop&) = delete;
  DeploymentLoop& operator=(const DeploymentLoop&) = delete;

  void start();
  void stop();
  void wake();

 private:
  void loop();
  void pass(bool first);

  DeploymentLoopDeps deps_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
  std::set<std::int64_t> reported_;  // stuck deployments already logged (once is enough)
};

}  // namespace juanie::daemon
