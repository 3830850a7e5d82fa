#include "runner/gitops_bootstrap.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "runner/git_handles.hpp"

namespace juanie::runner {

namespace fs = std::filesystem;

Result<void> write_files(const std::string& dir,
                         const std::vector<pipelines::GeneratedFile>& files) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return fail(dir + " is not empty: nothing was written");
  }
  for (const auto& f : files) {
    const fs::path path = fs::path(dir) / f.path;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary);
    out << f.text;
    if (!out) return fail("cannot write " + path.string());
  }
  return {};
}

Result<std::string> push_initial_commit(const std::string& url, const std::string& branch,
                                        const std::vector<pipelines::GeneratedFile>& files,
                                        const GitCredentials& credentials,
                                        const std::string& author_name,
                                        const std::string& author_email) {
  char tmpl[] = "/tmp/juanie-init.XXXXXX";
  if (!::mkdtemp(tmpl)) return fail("cannot make a scratch directory");
  const fs::path scratch = tmpl;
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{scratch};

  git_repository* raw = nullptr;
  if (git_repository_init(&raw, scratch.c_str(), 1) != 0) {
    return fail("cannot create a repository: " + git::last_error());
  }
  git::Repository repo(raw);
  git_remote* raw_remote = nullptr;
  if (git_remote_create(&raw_remote, repo.get(), "origin", url.c_str()) != 0) {
    return fail("bad repository URL " + url + ": " + git::last_error());
  }
  git::Remote origin(raw_remote);

  // Only an empty repository is filled.
  CredentialState state{&credentials};
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  attach_credentials(callbacks, state);
  if (git_remote_connect(origin.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr) != 0) {
    return fail("cannot reach " + url + ": " + git::last_error());
  }
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  git_remote_ls(&heads, &count, origin.get());
  for (size_t i = 0; i < count; ++i) {
    if (std::string_view(heads[i]->name).starts_with("refs/heads/")) {
      git_remote_disconnect(origin.get());
      return fail(url + " is not empty (it has " + heads[i]->name +
                  "): project init fills only an empty repository; nothing was pushed");
    }
  }
  git_remote_disconnect(origin.get());

  // The tree, directory by directory, through the scratch repository's index.
  git_index* raw_index = nullptr;
  if (git_repository_index(&raw_index, repo.get()) != 0) {
    return fail("cannot make an index: " + git::last_error());
  }
  std::unique_ptr<git_index, git::Deleter<git_index, git_index_free>> index(raw_index);
  for (const auto& f : files) {
    git_index_entry entry{};
    entry.mode = GIT_FILEMODE_BLOB;
    entry.path = f.path.c_str();
    if (git_index_add_from_buffer(index.get(), &entry, f.text.data(), f.text.size()) != 0) {
      return fail("cannot add " + f.path + ": " + git::last_error());
    }
  }
  git_oid tree_id, commit_id;
  if (git_index_write_tree_to(&tree_id, index.get(), repo.get()) != 0) {
    return fail("cannot write the tree: " + git::last_error());
  }
  git_tree* raw_tree = nullptr;
  git_tree_lookup(&raw_tree, repo.get(), &tree_id);
  git::Tree tree(raw_tree);
  git_signature* raw_sig = nullptr;
  if (git_signature_now(&raw_sig, author_name.c_str(), author_email.c_str()) != 0) {
    return fail("bad author: " + git::last_error());
  }
  git::Signature sig(raw_sig);
  const std::string ref = "refs/heads/" + branch;
  if (git_commit_create(&commit_id, repo.get(), ref.c_str(), sig.get(), sig.get(), nullptr,
                        "GitOps repository laid out by juanie project init\n", tree.get(), 0,
                        nullptr) != 0) {
    return fail("cannot commit: " + git::last_error());
  }
  git_push_options push = GIT_PUSH_OPTIONS_INIT;
  CredentialState push_state{&credentials};
  attach_credentials(push.callbacks, push_state);
  const std::string spec = ref + ":" + ref;
  char* specs[] = {const_cast<char*>(spec.c_str())};
  git_strarray refspecs{specs, 1};
  if (git_remote_push(origin.get(), &refspecs, &push) != 0) {
    return fail("cannot push to " + url + ": " + git::last_error());
  }
  return git::oid_hex(commit_id);
}

}  // namespace juanie::runner
