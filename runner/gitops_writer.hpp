#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "pipelines/error.hpp"
#include "pipelines/kustomize_edit.hpp"
#include "runner/branch_lock.hpp"
#include "runner/gitops_remote.hpp"
#include "runner/random_source.hpp"

namespace juanie::runner {

struct GitOpsChange {
  std::string path;  // e.g. overlays/dev/kustomization.yaml
  pipelines::ImageChange image;
  // sha256:…: also set as the entry's `digest`, pinning the image (kustomize then writes
  // name:tag@digest, and the runtime pulls by digest whatever the tag names later).
  std::string digest;
  std::string message;
  std::string author_name = "juanie";
  std::string author_email = "juanie@localhost";
};

struct GitOpsOutcome {
  std::string commit;      // the pushed commit, or the tip that already had the value
  bool committed = false;  // false: the file already said so; nothing was pushed
  int attempts = 0;        // pushes tried (more than 1 when others pushed in between)
};

struct GitOpsRetry {
  int attempts = 6;
  std::chrono::milliseconds backoff{100};       // doubled after each rejected push, with jitter,
  std::chrono::milliseconds max_backoff{5000};  // up to this
};

// How one push attempt ended: the remote took it; it was not a fast-forward (someone pushed
// first: tried again on the new tip until the attempts run out); or anything else ended the
// attempt (fetch, push, credentials, the file). A change already in place pushes nothing.
enum class GitOpsPush { kPushed, kRejected, kFailed };
std::string_view to_string(GitOpsPush push);
// Told of each push attempt as it ends (for the daemon's metrics); called on the writer's
// thread, so it must be safe to call from several at once.
using GitOpsPushObserver = std::function<void(GitOpsPush)>;

// Commits image changes into GitOps repositories: a bare clone per repository under `root`,
// fetched before each change; the file edited in place (pipelines::set_image), committed on
// the branch's tip and pushed without force. A push rejected because someone else pushed
// first is retried on the new tip after a backoff, a bounded number of times. One writer per
// repository and branch at a time (a lock file), in this process and across processes, and
// across build nodes sharing a store when a BranchLock is given.
class GitOpsWriter {
 public:
  // `remote`: how it fetches and pushes (not owned); null: libgit2. `random`: where the
  // backoff's jitter comes from (not owned); null: the system's. `observer`: told of each
  // push attempt; empty: nobody. `across_nodes` (not owned): held around each change beside
  // the lock file; null: this node is the only writer.
  explicit GitOpsWriter(std::filesystem::path root, GitOpsRetry retry = {},
                        const GitOpsRemote* remote = nullptr, const RandomSource* random = nullptr,
                        GitOpsPushObserver observer = {}, const BranchLock* across_nodes = nullptr)
      : root_(std::move(root)),
        retry_(retry),
        remote_(remote ? remote : &libgit2_),
        random_(random ? random : &system_random_),
        observer_(std::move(observer)),
        across_nodes_(across_nodes) {}
  GitOpsWriter(const GitOpsWriter&) = delete;
  GitOpsWriter& operator=(const GitOpsWriter&) = delete;

  Result<GitOpsOutcome> apply(const GitOpsRepository& repository, const GitOpsChange& change) const;

  // The bare clone this writer keeps of a repository's branch (it may not exist yet): where
  // the commits it pushed can be read.
  std::filesystem::path clone_of(const std::string& url, const std::string& branch) const;
  // Brings the branch's commits into that clone (making it if needed) without changing
  // anything: commits others pushed after the writer's last fetch become readable there.
  Result<void> refresh(const GitOpsRepository& repository) const;

 private:
  std::filesystem::path root_;
  GitOpsRetry retry_;
  LibGit2Remote libgit2_;
  const GitOpsRemote* remote_;
  SystemRandom system_random_;
  const RandomSource* random_;
  GitOpsPushObserver observer_;
  const BranchLock* across_nodes_;
};

}  // namespace juanie::runner
