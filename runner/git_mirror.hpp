#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipelines/error.hpp"
#include "pipelines/fetch_shape.hpp"
#include "runner/git_credentials.hpp"

namespace juanie::runner {

// One bare mirror per repository URL under `root`, fetched incrementally (every ref, so any
// pushed commit is there), never cloned afresh per run. A lock file per mirror makes two runs
// of one repository fetch one after the other instead of over each other.
class GitMirrors {
 public:
  explicit GitMirrors(std::filesystem::path root) : root_(std::move(root)) {}

  // Creates the mirror on first use, then fetches (with `credentials` for a private
  // repository); returns its path. An unreachable or non-existent remote, refused credentials
  // or an unknown ssh host key is an error naming the URL.
  // A `shape` other than whole (repo.depth, repo.filter) makes and fetches the mirror with the
  // git CLI (libgit2 1.5 has neither shallow nor partial fetches); the mirror remembers its
  // shape, and one made with another shape is removed and made afresh.
  Result<std::filesystem::path> update(const std::string& url,
                                       const GitCredentials& credentials = {},
                                       const pipelines::FetchShape& shape = {}) const;

  // Makes every object of commit `sha`'s tree present in the mirror of `url` (after update):
  // nothing to do for a whole or shallow mirror; a partial one fetches the blobs it lacks in
  // one batch, as git's own lazy fetch would. libgit2 (checkout, tree reads) never fetches.
  Result<void> materialize(const std::string& url, const std::string& sha,
                           const GitCredentials& credentials = {}) const;

  std::filesystem::path path_for(const std::string& url) const;

  // The commit `full_ref` (refs/heads/main) points at in the mirror of `url` (after update).
  Result<std::string> resolve(const std::string& url, const std::string& full_ref) const;

  // The author's and the committer's e-mail addresses of commit `sha` in the mirror of `url`.
  Result<std::vector<std::string>> commit_addresses(const std::string& url,
                                                    const std::string& sha) const;

 private:
  std::filesystem::path root_;
};

}  // namespace juanie::runner
