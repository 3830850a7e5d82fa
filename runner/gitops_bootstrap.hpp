#pragma once

#include <string>
#include <vector>

#include "pipelines/error.hpp"
#include "pipelines/gitops_skeleton.hpp"
#include "runner/git_credentials.hpp"

namespace juanie::runner {

// Writes `files` under `dir` (created; it must be empty or absent: nothing is overwritten).
Result<void> write_files(const std::string& dir,
                         const std::vector<pipelines::GeneratedFile>& files);

// Makes `files` the first commit of `branch` in the empty repository at `url` and pushes it.
// A repository that already has any branch is refused, untouched. Returns the commit.
Result<std::string> push_initial_commit(const std::string& url, const std::string& branch,
                                        const std::vector<pipelines::GeneratedFile>& files,
                                        const GitCredentials& credentials,
                                        const std::string& author_name,
                                        const std::string& author_email);

}  // namespace juanie::runner
