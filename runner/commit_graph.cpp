#include "runner/commit_graph.hpp"

#include "runner/git_handles.hpp"

namespace juanie::runner {

Result<bool> is_strict_ancestor(const std::filesystem::path& repo_dir, const std::string& older,
                                const std::string& newer) {
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, repo_dir.c_str(), 0, nullptr) != 0) {
    return fail("cannot open a git repository at " + repo_dir.string() + ": " + git::last_error());
  }
  git::Repository repo(raw);
  git_oid a, b;
  if (git_oid_fromstr(&a, older.c_str()) != 0) return fail("\"" + older + "\" is not a commit id");
  if (git_oid_fromstr(&b, newer.c_str()) != 0) return fail("\"" + newer + "\" is not a commit id");
  if (git_oid_equal(&a, &b)) return false;
  // 1: `newer` descends from `older`; 0: it does not; < 0: a commit is missing.
  const int descendant = git_graph_descendant_of(repo.get(), &b, &a);
  if (descendant < 0) {
    // A shallow mirror (repo.depth) ends where it was cut: a walk that reaches the cut cannot
    // say "not an ancestor", only that it does not know.
    if (git_repository_is_shallow(repo.get()) == 1) {
      return fail("cannot tell whether " + older.substr(0, 12) + " comes before " +
                  newer.substr(0, 12) +
                  ": the mirror is shallow (repo.depth) and their history reaches past its "
                  "depth; raise repo.depth or remove it");
    }
    return fail("cannot compare " + older.substr(0, 12) + " with " + newer.substr(0, 12) + ": " +
                git::last_error());
  }
  return descendant == 1;
}

Result<bool> has_commit(const std::filesystem::path& repo_dir, const std::string& commit) {
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, repo_dir.c_str(), 0, nullptr) != 0) {
    return fail("cannot open a git repository at " + repo_dir.string() + ": " + git::last_error());
  }
  git::Repository repo(raw);
  git_oid id;
  if (git_oid_fromstr(&id, commit.c_str()) != 0) return false;
  git_commit* found = nullptr;
  const int looked = git_commit_lookup(&found, repo.get(), &id);
  git_commit_free(found);
  if (looked == GIT_ENOTFOUND || looked == GIT_EINVALIDSPEC) return false;
  if (looked != 0) {
    return fail("cannot look " + commit.substr(0, 12) + " up in " + repo_dir.string() + ": " +
                git::last_error());
  }
  return true;
}

}  // namespace juanie::runner
