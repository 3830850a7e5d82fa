#include "runner/git_checkout.hpp"

#include "runner/git_handles.hpp"

namespace juanie::runner {
namespace {

using git::Commit;
using git::Reference;
using git::Repository;

std::string describe_git_error(const std::string& what) {
  return what + ": " + git::last_error();
}

Result<Repository> open(const std::filesystem::path& dir) {
  git_repository* repo = nullptr;
  if (git_repository_open_ext(&repo, dir.c_str(), 0, nullptr) != 0) {
    return fail(describe_git_error("cannot open a git repository at " + dir.string()));
  }
  return Repository(repo);
}

struct TreeSizes {
  git_odb* odb = nullptr;
  std::uint64_t total = 0;
  std::uint64_t largest = 0;
  std::string largest_path;
  std::string error;
};

// git_tree_walk's callback: a C callback, so no exception may leave it; errors go in `sizes`.
int add_blob_size(const char* root, const git_tree_entry* entry, void* payload) {
  auto& sizes = *static_cast<TreeSizes*>(payload);
  if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
  std::size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  if (git_odb_read_header(&size, &type, sizes.odb, git_tree_entry_id(entry)) != 0) {
    sizes.error = std::string(root) + git_tree_entry_name(entry) + ": " + git::last_error();
    return -1;
  }
  sizes.total += size;
  if (size > sizes.largest) {
    sizes.largest = size;
    sizes.largest_path = std::string(root) + git_tree_entry_name(entry);
  }
  return 0;
}

Result<void> check_sizes(git_repository* repo, const git_commit* commit, const std::string& sha,
                         const CheckoutLimits& limits) {
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, commit) != 0) {
    return fail(describe_git_error("commit " + sha + ": cannot read its tree"));
  }
  git::Tree tree(raw_tree);
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo) != 0) {
    return fail(describe_git_error("cannot open the object database"));
  }
  std::unique_ptr<git_odb, git::Deleter<git_odb, git_odb_free>> odb(raw_odb);
  TreeSizes sizes;
  sizes.odb = odb.get();
  if (git_tree_walk(tree.get(), GIT_TREEWALK_PRE, add_blob_size, &sizes) != 0) {
    return fail("commit " + sha + ": cannot read " +
                (sizes.error.empty() ? git::last_error() : sizes.error));
  }
  const std::string at = "commit " + sha.substr(0, 12) + ": ";
  if (sizes.largest > limits.file_max) {
    return fail(at + sizes.largest_path + " is " + std::to_string(sizes.largest) +
                " bytes, more than limits.checkout_file_max (" + std::to_string(limits.file_max) +
                ")");
  }
  if (sizes.total > limits.total_max) {
    return fail(at + "its files add up to " + std::to_string(sizes.total) +
                " bytes, more than limits.checkout_max (" + std::to_string(limits.total_max) + ")");
  }
  return {};
}

Result<Commit> lookup_commit(git_repository* repo, const std::string& sha,
                             const std::filesystem::path& repo_dir) {
  git_oid oid;
  if (git_oid_fromstr(&oid, sha.c_str()) != 0) return fail("\"" + sha + "\" is not a commit id");
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo, &oid) != 0) {
    return fail("commit " + sha + " does not exist in " + repo_dir.string());
  }
  return Commit(raw);
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
                             const std::filesystem::path& workspace, CheckoutLimits limits,
                             const std::string& from) {
  auto repo = open(repo_dir);
  if (!repo) return std::unexpected(repo.error());
  auto commit = lookup_commit(repo->get(), sha, repo_dir);
  if (!commit) return std::unexpected(commit.error());
  if (auto ok = check_sizes(repo->get(), commit->get(), sha, limits); !ok) return ok;
  git::Tree baseline;
  if (!from.empty()) {
    auto held = lookup_commit(repo->get(), from, repo_dir);
    if (!held) return std::unexpected(held.error());
    git_tree* tree = nullptr;
    if (git_commit_tree(&tree, held->get()) != 0) {
      return fail(describe_git_error("commit " + from + ": cannot read its tree"));
    }
    baseline.reset(tree);
  }
  std::error_code ec;
  std::filesystem::create_directories(workspace, ec);
  if (ec) return fail("cannot create " + workspace.string() + ": " + ec.message());
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
  const std::string target = workspace.string();
  opts.target_directory = target.c_str();
  // The baseline is what the workspace holds: what both trees hold alike is not written, and
  // what only the baseline holds is removed. Without one libgit2 takes the mirror's HEAD.
  opts.baseline = baseline.get();
  if (git_checkout_tree(repo->get(), reinterpret_cast<const git_object*>(commit->get()), &opts) !=
      0) {
    return fail(describe_git_error("cannot check out " + sha + " into " + workspace.string()));
  }
  return {};
}

}  // namespace juanie::runner
