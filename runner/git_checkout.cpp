#include "runner/git_checkout.hpp"

#include "runner/git_handles.hpp"

namespace juanie::runner {
namespace {

using git::Commit;
using git::Reference;
using git::Repository;

std::string describe_git_error(const std::string& what) { return what + ": " + git::last_error(); }

Result<Repository> open(const std::filesystem::path& dir) {
  git_repository* repo = nullptr;
  if (git_repository_open_ext(&repo, dir.c_str(), 0, nullptr) != 0) {
    return fail(describe_git_error("cannot open a git repository at " + dir.string()));
  }
  return Repository(repo);
}

}  // namespace

GitLibrary::GitLibrary() {
  git_libgit2_init();
}
GitLibrary::~GitLibrary() {
  git_libgit2_shutdown();
}

Result<HeadInfo> read_head(const std::filesystem::path& dir) {
  auto repo = open(dir);
  if (!repo) return std::unexpected(repo.error());
  git_reference* head = nullptr;
  if (git_repository_head(&head, repo->get()) != 0) {
    return fail(describe_git_error(dir.string() + ": HEAD has no commit"));
  }
  Reference ref(head);
  HeadInfo info;
  const git_oid* oid = git_reference_target(head);
  if (!oid) return fail(dir.string() + ": HEAD is not a commit");
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, oid);
  info.sha = hex;
  if (git_reference_is_branch(head)) info.branch = git_reference_shorthand(head);
  return info;
}

Result<void> checkout_commit(const std::filesystem::path& repo_dir, const std::string& sha,
                             const std::filesystem::path& workspace) {
  auto repo = open(repo_dir);
  if (!repo) return std::unexpected(repo.error());
  git_oid oid;
  if (git_oid_fromstr(&oid, sha.c_str()) != 0) return fail("\"" + sha + "\" is not a commit id");
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo->get(), &oid) != 0) {
    return fail("commit " + sha + " does not exist in " + repo_dir.string());
  }
  Commit commit(raw);
  std::error_code ec;
  std::filesystem::create_directories(workspace, ec);
  if (ec) return fail("cannot create " + workspace.string() + ": " + ec.message());
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
  const std::string target = workspace.string();
  opts.target_directory = target.c_str();
  if (git_checkout_tree(repo->get(), reinterpret_cast<const git_object*>(commit.get()), &opts) !=
      0) {
    return fail(describe_git_error("cannot check out " + sha + " into " + workspace.string()));
  }
  return {};
}

}  // namespace juanie::runner
