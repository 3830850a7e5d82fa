#include "runner/commit_graph.hpp"

#include <cstring>
#include <set>
#include <vector>

#include "runner/git_handles.hpp"

namespace juanie::runner {
namespace {

struct OidLess {
  bool operator()(const git_oid& a, const git_oid& b) const {
    return std::memcmp(a.id, b.id, GIT_OID_RAWSZ) < 0;
  }
};

enum class Walk { kFound, kNotFound, kCut };

// Whether `target` is met walking down from `from` through every parent the mirror holds;
// kCut: not met, and the walk reached a commit the mirror never fetched.
Walk walk_down(git_repository* repo, const git_oid& from, const git_oid& target) {
  std::set<git_oid, OidLess> seen;
  std::vector<git_oid> next{from};
  bool cut = false;
  while (!next.empty()) {
    const git_oid id = next.back();
    next.pop_back();
    if (!seen.insert(id).second) continue;
    git_commit* found = nullptr;
    if (git_commit_lookup(&found, repo, &id) != 0) {
      cut = true;  // past the depth
      continue;
    }
    git::Commit commit(found);
    for (unsigned i = 0; i < git_commit_parentcount(commit.get()); ++i) {
      const git_oid* parent = git_commit_parent_id(commit.get(), i);
      if (git_oid_equal(parent, &target)) return Walk::kFound;
      next.push_back(*parent);
    }
  }
  return cut ? Walk::kCut : Walk::kNotFound;
}

// libgit2 1.5 knows nothing of a shallow repository's cut: its merge-base walk fails on the
// first missing parent, even when `older` was found above it; git's own walk stops at the cut
// and says "no" for a parent it hides. So a shallow mirror (repo.depth) is walked here. `older`
// met below `newer` is a sure yes; a walk that never reached the cut, or `newer` met below
// `older` (history has no cycles), is a sure no; anything else is "cannot tell".
Result<bool> shallow_ancestry(git_repository* repo, const git_oid& older, const git_oid& newer,
                              const std::string& older_hex, const std::string& newer_hex) {
  switch (walk_down(repo, newer, older)) {
    case Walk::kFound:
      return true;
    case Walk::kNotFound:
      return false;
    case Walk::kCut:
      break;
  }
  if (walk_down(repo, older, newer) == Walk::kFound) return false;
  return fail("cannot tell whether " + older_hex.substr(0, 12) + " comes before " +
              newer_hex.substr(0, 12) +
              ": the mirror is shallow (repo.depth) and their history reaches past its depth; "
              "raise repo.depth or remove it");
}

}  // namespace

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
    if (git_repository_is_shallow(repo.get()) == 1)
      return shallow_ancestry(repo.get(), a, b, older, newer);
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
