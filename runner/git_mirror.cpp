#include "runner/git_mirror.hpp"

#include <cstdlib>
#include <functional>
#include <memory>

#include "runner/file_lock.hpp"
#include "runner/git_cli.hpp"
#include "runner/git_handles.hpp"
#include "runner/program_path.hpp"
#include "runner/step_process.hpp"

namespace juanie::runner {
namespace {

// A repository on this machine (a path or file://). libgit2 serves these itself, building a
// pack object by object with a delta search of its own: 25 s for the first fetch of a
// 20k-file, 38 MB repository that `git fetch` (upload-pack reusing the stored deltas) takes in
// 2.7 s. Over smart HTTP both take the same time. A later fetch carries only the new objects,
// where libgit2 in process (1-5 ms) beats starting git (20 ms): only a new mirror of a local
// remote is filled by the git CLI.
bool is_local(const std::string& url) {
  return url.starts_with("/") || url.starts_with("file://");
}

constexpr const char* kShapeKey = "juanie.shape";

// `git fetch` into the bare mirror at `dir` by the fetchspec its config holds, dropping refs
// the remote no longer has; shallow or partial as `shape` says.
Result<void> fetch_with_git(const std::filesystem::path& dir, const std::string& url,
                            const GitCredentials& credentials, const pipelines::FetchShape& shape) {
  GitCommand command{
      dir,
      url,
      {"fetch", "--quiet", "--prune", "--no-recurse-submodules", "--no-write-fetch-head"},
      {}};
  if (shape.depth > 0) command.args.push_back("--depth=" + std::to_string(shape.depth));
  if (!shape.filter.empty()) command.args.push_back("--filter=" + shape.filter);
  command.args.push_back("origin");
  auto done = run_git(command, credentials);
  if (!done) return std::unexpected(done.error());
  return {};
}

// The shape the mirror in `repo` was made with ("" for one made before shapes, which was whole).
std::string recorded_shape(git_repository* repo) {
  git_config* raw = nullptr;
  if (git_repository_config_snapshot(&raw, repo) != 0) return {};
  std::unique_ptr<git_config, decltype(&git_config_free)> config(raw, git_config_free);
  const char* value = nullptr;
  if (git_config_get_string(&value, config.get(), kShapeKey) != 0) return {};
  return value;
}

Result<void> record_shape(git_repository* repo, const std::string& shape) {
  if (shape.empty()) return {};
  git_config* raw = nullptr;
  if (git_repository_config(&raw, repo) != 0) return fail(git::last_error());
  std::unique_ptr<git_config, decltype(&git_config_free)> config(raw, git_config_free);
  if (git_config_set_string(config.get(), kShapeKey, shape.c_str()) != 0)
    return fail(git::last_error());
  return {};
}

}  // namespace

std::filesystem::path GitMirrors::path_for(const std::string& url) const {
  // A readable prefix plus a hash: distinct URLs never share a mirror.
  std::string name;
  for (char c : url.substr(url.find_last_of("/:") + 1)) {
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  }
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(url));
  return root_ / (name.substr(0, 40) + "-" + hash);
}

Result<std::filesystem::path> GitMirrors::update(const std::string& url,
                                                 const GitCredentials& credentials,
                                                 const pipelines::FetchShape& shape) const {
  std::error_code ec;
  std::filesystem::create_directories(root_, ec);
  if (ec) return fail("cannot create " + root_.string() + ": " + ec.message());
  const auto dir = path_for(url);
  FileLock lock(dir.string() + ".lock");
  if (!lock.held()) return fail(ErrorKind::kUnavailable, "cannot lock the mirror of " + url);

  const std::string wanted = pipelines::describe(shape);
  git_repository* raw = nullptr;
  bool created = false;
  if (git_repository_open_bare(&raw, dir.c_str()) == 0 && recorded_shape(raw) != wanted) {
    // Made with another depth or filter: a shallow mirror must not be deepened by libgit2,
    // nor a partial one taken for whole. Made afresh in the shape asked for.
    git_repository_free(raw);
    raw = nullptr;
  }
  if (raw == nullptr) {
    created = true;
    std::filesystem::remove_all(dir, ec);
    if (git_repository_init(&raw, dir.c_str(), 1) != 0) {
      return fail("cannot create a mirror of " + url + ": " + git::last_error());
    }
    git_remote* remote = nullptr;
    if (git_remote_create_with_fetchspec(&remote, raw, "origin", url.c_str(), "+refs/*:refs/*") !=
        0) {
      git_repository_free(raw);
      return fail("cannot configure the mirror of " + url + ": " + git::last_error());
    }
    git_remote_free(remote);
    if (auto recorded = record_shape(raw, wanted); !recorded) {
      git_repository_free(raw);
      return fail("cannot configure the mirror of " + url + ": " + recorded.error().message);
    }
  }
  std::unique_ptr<git_repository, decltype(&git_repository_free)> repo(raw, git_repository_free);
  if ((created && is_local(url)) || !shape.whole()) {
    if (auto fetched = fetch_with_git(dir, url, credentials, shape); !fetched) {
      if (!created) return std::unexpected(fetched.error());
      repo.reset();
      std::filesystem::remove_all(dir, ec);  // no half-filled mirror taken for a filled one
      return std::unexpected(fetched.error());
    }
    return dir;
  }
  git_remote* remote = nullptr;
  if (git_remote_lookup(&remote, repo.get(), "origin") != 0) {
    return fail("the mirror of " + url + " has no origin: " + git::last_error());
  }
  std::unique_ptr<git_remote, decltype(&git_remote_free)> origin(remote, git_remote_free);
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  opts.prune = GIT_FETCH_PRUNE;
  CredentialState state{&credentials};
  attach_credentials(opts.callbacks, state);
  if (git_remote_fetch(origin.get(), nullptr, &opts, "juanie fetch") != 0) {
    return fail(ErrorKind::kUnavailable, "cannot fetch " + url + ": " + git::last_error());
  }
  return dir;
}

Result<void> GitMirrors::materialize(const std::string& url, const std::string& sha,
                                     const GitCredentials& credentials) const {
  const auto dir = path_for(url);
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, dir.c_str()) != 0) {
    return fail("no mirror of " + url + ": " + git::last_error());
  }
  const bool partial = recorded_shape(raw).find("filter=") != std::string::npos;
  git_repository_free(raw);
  if (!partial) return {};
  FileLock lock(dir.string() + ".lock");
  if (!lock.held()) return fail(ErrorKind::kUnavailable, "cannot lock the mirror of " + url);
  // rev-list never fetches what it lists as missing ("?<oid>"); trees are all there (only blob
  // filters are allowed), so one listing finds every missing blob of the commit.
  auto listed = run_git(
      {dir, url, {"rev-list", "--objects", "--no-walk", "--missing=print", sha}, {}}, credentials);
  if (!listed) return std::unexpected(listed.error());
  std::vector<std::string> missing;
  std::size_t at = 0;
  while (at < listed->size()) {
    const auto end = std::min(listed->find('\n', at), listed->size());
    const std::string_view line(listed->data() + at, end - at);
    if (line.size() >= 41 && line[0] == '?') missing.emplace_back(line.substr(1));
    at = end + 1;
  }
  if (missing.empty()) return {};
  // What promisor-remote.c runs when git itself lacks objects: no negotiation (the server
  // sends exactly these), no tags, no FETCH_HEAD, no submodules.
  auto fetched = run_git(
      {dir,
       url,
       {"-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet", "origin", "--no-tags",
        "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin"},
       std::move(missing)},
      credentials);
  if (!fetched) return std::unexpected(fetched.error());
  return {};
}

Result<std::string> GitMirrors::resolve(const std::string& url, const std::string& full_ref) const {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, path_for(url).c_str()) != 0) {
    return fail("no mirror of " + url + ": " + git::last_error());
  }
  git::Repository repo(raw);
  git_oid id;
  if (git_reference_name_to_id(&id, repo.get(), full_ref.c_str()) != 0) {
    return fail(ErrorKind::kNotFound, url + " has no " + full_ref);
  }
  // A tag may name a tag object: the commit it points at.
  git_object* peeled = nullptr;
  git_object* object = nullptr;
  if (git_object_lookup(&object, repo.get(), &id, GIT_OBJECT_ANY) == 0) {
    if (git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) == 0) {
      id = *git_object_id(peeled);
      git_object_free(peeled);
    }
    git_object_free(object);
  }
  return git::oid_hex(id);
}

Result<std::vector<std::string>> GitMirrors::commit_addresses(const std::string& url,
                                                              const std::string& sha) const {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, path_for(url).c_str()) != 0) {
    return fail("no mirror of " + url + ": " + git::last_error());
  }
  git::Repository repo(raw);
  git_oid id;
  git_commit* found = nullptr;
  if (git_oid_fromstr(&id, sha.c_str()) != 0 || git_commit_lookup(&found, repo.get(), &id) != 0) {
    return fail(url + " has no commit " + sha);
  }
  git::Commit commit(found);
  std::vector<std::string> out;
  for (const git_signature* who :
       {git_commit_author(commit.get()), git_commit_committer(commit.get())}) {
    if (who && who->email && *who->email) out.emplace_back(who->email);
  }
  return out;
}

}  // namespace juanie::runner
