#include "runner/gitops_remote.hpp"

#include <string_view>

#include "runner/git_handles.hpp"

namespace juanie::runner {
namespace {

struct Origin {
  git::Repository repo;
  git::Remote remote;
};

Result<Origin> open_origin(const std::filesystem::path& clone, const GitOpsRepository& target) {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, clone.c_str()) != 0) {
    return fail("cannot open the clone of " + target.url + ": " + git::last_error());
  }
  git::Repository repo(raw);
  git_remote* raw_remote = nullptr;
  if (git_remote_lookup(&raw_remote, repo.get(), "origin") != 0) {
    return fail("the clone of " + target.url + " has no origin: " + git::last_error());
  }
  return Origin{std::move(repo), git::Remote(raw_remote)};
}

// Whether the remote refused a ref update because the branch moved since the fetch (someone
// pushed first): git's receive-pack says "failed to update ref" when its compare-and-swap of
// the branch fails ("failed to lock" in older versions) and "non-fast-forward" under
// receive.denyNonFastForwards; "fetch first" and "stale info" are git's words for the same.
// Anything else — a pre-receive or update hook that declined, a protected branch, a hidden
// ref — is the remote's refusal: redoing the change on a new tip will not pass it.
bool branch_moved(std::string_view status) {
  for (std::string_view moved : {"failed to update ref", "failed to lock", "cannot lock ref",
                                 "non-fast-forward", "fetch first", "stale info"}) {
    if (status.find(moved) != std::string_view::npos) return true;
  }
  return false;
}

int on_push_update(const char* /*refname*/, const char* status, void* payload) {
  if (status) static_cast<CredentialState*>(payload)->rejected_update = status;
  return 0;
}

}  // namespace

Result<void> LibGit2Remote::fetch(const std::filesystem::path& clone,
                                  const GitOpsRepository& target) const {
  auto origin = open_origin(clone, target);
  if (!origin) return std::unexpected(origin.error());
  git_fetch_options fetch = GIT_FETCH_OPTIONS_INIT;
  CredentialState state{&target.credentials};
  attach_credentials(fetch.callbacks, state);
  const std::string spec = "+refs/heads/" + target.branch + ":refs/remotes/origin/" + target.branch;
  char* specs[] = {const_cast<char*>(spec.c_str())};
  git_strarray refspecs{specs, 1};
  if (git_remote_fetch(origin->remote.get(), &refspecs, &fetch, "juanie gitops fetch") != 0) {
    return fail("cannot fetch " + target.url + ": " + git::last_error());
  }
  return {};
}

Result<PushAnswer> LibGit2Remote::push(const std::filesystem::path& clone,
                                       const GitOpsRepository& target,
                                       const std::string& ref) const {
  auto origin = open_origin(clone, target);
  if (!origin) return std::unexpected(origin.error());
  git_push_options push = GIT_PUSH_OPTIONS_INIT;
  CredentialState state{&target.credentials};
  attach_credentials(push.callbacks, state);
  push.callbacks.push_update_reference = on_push_update;
  const std::string spec = ref + ":refs/heads/" + target.branch;
  char* specs[] = {const_cast<char*>(spec.c_str())};
  git_strarray refspecs{specs, 1};
  const int rc = git_remote_push(origin->remote.get(), &refspecs, &push);
  if (rc == 0 && !state.rejected_update.empty() && !branch_moved(state.rejected_update)) {
    return fail("the remote refused the push to " + target.branch + " of " + target.url + ": " +
                state.rejected_update);
  }
  if (rc == GIT_ENONFASTFORWARD || (rc == 0 && !state.rejected_update.empty())) {
    return PushAnswer{true,
                      state.rejected_update.empty() ? git::last_error() : state.rejected_update};
  }
  if (rc != 0) return fail("cannot push to " + target.url + ": " + git::last_error());
  return PushAnswer{};
}

}  // namespace juanie::runner
