#pragma once

#include <filesystem>
#include <string>

#include "pipelines/error.hpp"
#include "runner/git_credentials.hpp"

namespace juanie::runner {

struct GitOpsRepository {
  std::string url;
  std::string branch = "main";
  GitCredentials credentials;
};

struct PushAnswer {
  bool rejected = false;  // the branch moved since the fetch: fetch, redo the change, push again
  std::string reason;     // the remote's words for a rejection
};

// What the GitOps writer does over the network, on its bare clone of a repository (made with
// an `origin` remote for target.url): bring the branch in, send a commit out. libgit2 in the
// daemon; a scripted fake in tests, which rejects pushes on demand.
class GitOpsRemote {
 public:
  virtual ~GitOpsRemote() = default;
  // The branch's tip (and what it needs) into `clone` as refs/remotes/origin/<branch>.
  virtual Result<void> fetch(const std::filesystem::path& clone,
                             const GitOpsRepository& target) const = 0;
  // `ref` of `clone` pushed to the branch without force. A rejection because someone else
  // pushed first is an answer, not an error; any other failure is an error.
  virtual Result<PushAnswer> push(const std::filesystem::path& clone,
                                  const GitOpsRepository& target, const std::string& ref) const = 0;
};

class LibGit2Remote final : public GitOpsRemote {
 public:
  Result<void> fetch(const std::filesystem::path& clone,
                     const GitOpsRepository& target) const override;
  Result<PushAnswer> push(const std::filesystem::path& clone, const GitOpsRepository& target,
                          const std::string& ref) const override;
};

}  // namespace juanie::runner
