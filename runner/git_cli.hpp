#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipelines/error.hpp"
#include "runner/git_credentials.hpp"

namespace juanie::runner {

// One `git` command on the bare repository `dir` whose remote is `url`, for what libgit2 1.5
// cannot do (shallow and partial fetches, a first fetch of a local repository at git's speed).
// No system or user config counts, git never asks a terminal, and only the URL's own protocol
// is allowed. `credentials` reach git through files only the daemon's user can read, in a
// directory made for this command and removed after it: an https token through a credential
// helper that prints that file, an ssh key and known_hosts through GIT_SSH_COMMAND naming the
// files. Neither the token nor the key is ever on a command line or in an environment.
struct GitCommand {
  std::filesystem::path dir;
  std::string url;
  std::vector<std::string> args;         // after `git -C dir`
  std::vector<std::string> stdin_lines;  // given to git on its standard input, one a line
};

// The caller holds the mirror's lock (GitMirrors does). git's output (stdout and stderr together).
// A failure names the URL and keeps the end of what git said.
Result<std::string> run_git(const GitCommand& command, const GitCredentials& credentials = {});

}  // namespace juanie::runner
