#include "runner/tree_file.hpp"

#include "runner/git_handles.hpp"

namespace juanie::runner {

Result<std::string> read_file_at_commit(const std::filesystem::path& repo_dir,
                                        const std::string& sha, const std::string& path,
                                        std::size_t max_bytes) {
  git_repository* raw_repo = nullptr;
  if (git_repository_open_ext(&raw_repo, repo_dir.c_str(), 0, nullptr) != 0) {
    return fail("cannot open a git repository at " + repo_dir.string() + ": " + git::last_error());
  }
  git::Repository repo(raw_repo);
  git_oid oid;
  if (git_oid_fromstr(&oid, sha.c_str()) != 0) return fail("\"" + sha + "\" is not a commit id");
  git_commit* raw_commit = nullptr;
  if (git_commit_lookup(&raw_commit, repo.get(), &oid) != 0) {
    return fail("commit " + sha + " does not exist in " + repo_dir.string());
  }
  git::Commit commit(raw_commit);
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, commit.get()) != 0) {
    return fail("commit " + sha + ": cannot read its tree: " + git::last_error());
  }
  git::Tree tree(raw_tree);
  const std::string at = "commit " + sha.substr(0, 12) + ": " + path;
  git_tree_entry* raw_entry = nullptr;
  if (git_tree_entry_bypath(&raw_entry, tree.get(), path.c_str()) != 0) {
    return fail(at + " does not exist");
  }
  git::TreeEntry entry(raw_entry);
  switch (git_tree_entry_filemode(entry.get())) {
    case GIT_FILEMODE_BLOB:
    case GIT_FILEMODE_BLOB_EXECUTABLE:
      break;
    case GIT_FILEMODE_LINK:
      return fail(at + " is a symbolic link; it must be a regular file in the repository");
    case GIT_FILEMODE_TREE:
      return fail(at + " is a directory, not a file");
    case GIT_FILEMODE_COMMIT:
      return fail(at + " is a submodule, not a file");
    default:
      return fail(at + " is not a regular file");
  }
  // The size from the object's header, before a byte of its content is inflated: a blob of
  // gigabytes costs nothing to refuse.
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo.get()) != 0) {
    return fail(at + ": cannot open the object database: " + git::last_error());
  }
  std::unique_ptr<git_odb, git::Deleter<git_odb, git_odb_free>> odb(raw_odb);
  std::size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  if (git_odb_read_header(&size, &type, odb.get(), git_tree_entry_id(entry.get())) != 0) {
    return fail(at + ": cannot read: " + git::last_error());
  }
  if (size > max_bytes) {
    return fail(at + " is " + std::to_string(size) + " bytes, more than the " +
                std::to_string(max_bytes) + " juanie reads of it");
  }
  git_blob* raw_blob = nullptr;
  if (git_blob_lookup(&raw_blob, repo.get(), git_tree_entry_id(entry.get())) != 0) {
    return fail(at + ": cannot read: " + git::last_error());
  }
  git::Blob blob(raw_blob);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                     static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

}  // namespace juanie::runner
