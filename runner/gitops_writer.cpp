#include "runner/gitops_writer.hpp"

#include <algorithm>
#include <thread>

#include "runner/file_lock.hpp"
#include "runner/git_handles.hpp"

namespace juanie::runner {
namespace {

std::string directory_name(const std::string& url, const std::string& branch) {
  std::string name;
  for (char c : url.substr(url.find_last_of("/:") + 1)) {
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  }
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(url + "\n" + branch));
  return name.substr(0, 40) + "-" + hash;
}

Result<git::Repository> open_or_create(const std::filesystem::path& dir, const std::string& url) {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, dir.c_str()) == 0) return git::Repository(raw);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (git_repository_init(&raw, dir.c_str(), 1) != 0) {
    return fail("cannot create a clone of " + url + ": " + git::last_error());
  }
  git::Repository repo(raw);
  git_remote* remote = nullptr;
  if (git_remote_create_with_fetchspec(&remote, repo.get(), "origin", url.c_str(),
                                       "+refs/heads/*:refs/remotes/origin/*") != 0) {
    return fail("cannot configure the clone of " + url + ": " + git::last_error());
  }
  git_remote_free(remote);
  return repo;
}

// One attempt: the change on the current tip, pushed. `rejected` set when someone else pushed
// first (try again on the new tip); any other failure is an error.
Result<GitOpsOutcome> attempt(git_repository* repo, const std::filesystem::path& dir,
                              const GitOpsRemote& remote, const GitOpsRepository& target,
                              const GitOpsChange& change, bool& rejected) {
  rejected = false;
  const std::string remote_ref = "refs/remotes/origin/" + target.branch;
  if (auto fetched = remote.fetch(dir, target); !fetched) return std::unexpected(fetched.error());
  git_oid tip_id;
  if (git_reference_name_to_id(&tip_id, repo, remote_ref.c_str()) != 0) {
    return fail("branch " + target.branch + " does not exist in " + target.url);
  }
  git_commit* raw_commit = nullptr;
  if (git_commit_lookup(&raw_commit, repo, &tip_id) != 0) {
    return fail("cannot read the tip of " + target.branch + ": " + git::last_error());
  }
  git::Commit tip(raw_commit);
  git_tree* raw_tree = nullptr;
  git_commit_tree(&raw_tree, tip.get());
  git::Tree tree(raw_tree);
  git_tree_entry* raw_entry = nullptr;
  if (git_tree_entry_bypath(&raw_entry, tree.get(), change.path.c_str()) != 0) {
    return fail(change.path + " does not exist on " + target.branch + " of " + target.url);
  }
  git::TreeEntry entry(raw_entry);
  git_blob* raw_blob = nullptr;
  if (git_blob_lookup(&raw_blob, repo, git_tree_entry_id(entry.get())) != 0) {
    return fail(change.path + " is not a file in " + target.url);
  }
  git::Blob blob(raw_blob);
  const std::string_view text(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                              static_cast<std::size_t>(git_blob_rawsize(blob.get())));
  auto edited = pipelines::set_image(text, change.image);
  if (edited && !change.digest.empty()) {
    auto pinned = pipelines::set_image(edited->text, {change.image.name, "digest", change.digest});
    if (pinned) pinned->changed = pinned->changed || edited->changed;
    edited = std::move(pinned);
  }
  if (!edited) return fail(change.path + ": " + edited.error().message);
  if (!edited->changed) return GitOpsOutcome{git::oid_hex(tip_id), false, 0};

  git_oid blob_id, tree_id, commit_id;
  if (git_blob_create_from_buffer(&blob_id, repo, edited->text.data(), edited->text.size()) != 0) {
    return fail("cannot write the new " + change.path + ": " + git::last_error());
  }
  git_tree_update update{GIT_TREE_UPDATE_UPSERT, blob_id, git_tree_entry_filemode(entry.get()),
                         change.path.c_str()};
  if (git_tree_create_updated(&tree_id, repo, tree.get(), 1, &update) != 0) {
    return fail("cannot build the new tree: " + git::last_error());
  }
  git_tree* raw_new_tree = nullptr;
  git_tree_lookup(&raw_new_tree, repo, &tree_id);
  git::Tree new_tree(raw_new_tree);
  git_signature* raw_sig = nullptr;
  if (git_signature_now(&raw_sig, change.author_name.c_str(), change.author_email.c_str()) != 0) {
    return fail("bad commit author: " + git::last_error());
  }
  git::Signature sig(raw_sig);
  const git_commit* parents[] = {tip.get()};
  if (git_commit_create(&commit_id, repo, nullptr, sig.get(), sig.get(), nullptr,
                        change.message.c_str(), new_tree.get(), 1, parents) != 0) {
    return fail("cannot commit: " + git::last_error());
  }
  git_reference* raw_ref = nullptr;
  if (git_reference_create(&raw_ref, repo, "refs/juanie/push", &commit_id, 1, "juanie") != 0) {
    return fail("cannot stage the push: " + git::last_error());
  }
  git_reference_free(raw_ref);

  auto pushed = remote.push(dir, target, "refs/juanie/push");
  if (!pushed) return std::unexpected(pushed.error());
  if (pushed->rejected) {
    rejected = true;
    return fail("push rejected: " + pushed->reason);
  }
  // The remote branch is now this commit: the next change starts from it without a fetch.
  git_reference_create(&raw_ref, repo, remote_ref.c_str(), &commit_id, 1, "juanie push");
  git_reference_free(raw_ref);
  return GitOpsOutcome{git::oid_hex(commit_id), true, 0};
}

}  // namespace

std::string_view to_string(GitOpsPush push) {
  switch (push) {
    case GitOpsPush::kPushed:
      return "pushed";
    case GitOpsPush::kRejected:
      return "rejected";
    case GitOpsPush::kFailed:
      break;
  }
  return "failed";
}

Result<GitOpsOutcome> GitOpsWriter::apply(const GitOpsRepository& target,
                                          const GitOpsChange& change) const {
  // No attempt can be made: that is a failed push too.
  auto failed = [this](Error e) -> Result<GitOpsOutcome> {
    if (observer_) observer_(GitOpsPush::kFailed);
    return std::unexpected(std::move(e));
  };
  std::error_code ec;
  std::filesystem::create_directories(root_, ec);
  if (ec) return failed(Error{"cannot create " + root_.string() + ": " + ec.message()});
  const auto dir = root_ / directory_name(target.url, target.branch);
  FileLock lock(dir.string() + ".lock");
  if (!lock.held()) return failed(Error{"cannot lock the clone of " + target.url});
  // After the lock file: this node's writers of the branch wait here, not in the store.
  std::unique_ptr<HeldBranch> held;
  if (across_nodes_) {
    auto branch = across_nodes_->hold(target.url, target.branch);
    if (!branch) return failed(branch.error());
    held = std::move(*branch);
  }
  auto repo = open_or_create(dir, target.url);
  if (!repo) return failed(repo.error());

  auto delay = retry_.backoff;
  std::string last;
  for (int n = 1; n <= retry_.attempts; ++n) {
    bool rejected = false;
    auto outcome = attempt(repo->get(), dir, *remote_, target, change, rejected);
    if (observer_ && (!outcome || outcome->committed)) {
      observer_(outcome ? GitOpsPush::kPushed
                        : (rejected ? GitOpsPush::kRejected : GitOpsPush::kFailed));
    }
    if (outcome) {
      outcome->attempts = n;
      return outcome;
    }
    if (!rejected) return outcome;
    last = outcome.error().message;
    if (n == retry_.attempts) break;  // no pause before giving up
    const auto jitter = random_->up_to(static_cast<std::uint64_t>(delay.count()));
    std::this_thread::sleep_for(delay + std::chrono::milliseconds(jitter));
    delay = std::min(delay * 2, retry_.max_backoff);
  }
  return fail("gave up after " + std::to_string(retry_.attempts) + " pushes to " + target.branch +
              " of " + target.url + " were rejected (others kept pushing first); last: " + last);
}

Result<void> GitOpsWriter::refresh(const GitOpsRepository& target) const {
  std::error_code ec;
  std::filesystem::create_directories(root_, ec);
  if (ec) return fail("cannot create " + root_.string() + ": " + ec.message());
  const auto dir = root_ / directory_name(target.url, target.branch);
  FileLock lock(dir.string() + ".lock");
  if (!lock.held()) return fail("cannot lock the clone of " + target.url);
  auto repo = open_or_create(dir, target.url);
  if (!repo) return std::unexpected(repo.error());
  return remote_->fetch(dir, target);
}

std::filesystem::path GitOpsWriter::clone_of(const std::string& url,
                                             const std::string& branch) const {
  return root_ / directory_name(url, branch);
}

}  // namespace juanie::runner
