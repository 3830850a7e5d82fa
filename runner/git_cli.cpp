#include "runner/git_cli.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "runner/program_path.hpp"
#include "runner/step_process.hpp"

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The protocols git may use for `url` (its redirects stay on http(s)).
std::string allowed_protocols(const std::string& url) {
  if (url.starts_with("/") || url.starts_with("file://")) return "file";
  if (url.starts_with("https://")) return "https";
  if (url.starts_with("http://")) return "http:https";
  return "ssh";  // ssh://… or scp-like user@host:path
}

// A directory of files only the daemon's user reads, removed with this object.
class PrivateDir {
 public:
  explicit PrivateDir(const fs::path& near) {
    // One a daemon killed mid-command left (with a token in it): the mirror's lock, which every
    // caller holds, says no command of another thread still uses it.
    std::error_code ec;
    const std::string prefix = near.filename().string() + ".git-";
    for (const auto& entry : fs::directory_iterator(near.parent_path(), ec)) {
      if (entry.path().filename().string().starts_with(prefix)) fs::remove_all(entry.path(), ec);
    }
    std::string name = near.string() + ".git-XXXXXX";
    if (::mkdtemp(name.data()) != nullptr) path_ = name;  // mode 0700
  }
  ~PrivateDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  bool made() const { return !path_.empty(); }

  // A new file of mode 0600 holding `text`; an empty path on failure.
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return {};
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return done == text.size() ? file : fs::path();
  }

 private:
  fs::path path_;
};

// Whether an ssh URL (ssh://user@host/… or user@host:path) names its user: then that user
// counts, as with libgit2 (ssh's -o User would override it).
bool names_user(const std::string& url) {
  std::string_view rest = url;
  if (rest.starts_with("ssh://")) {
    rest.remove_prefix(6);
    rest = rest.substr(0, rest.find('/'));
  } else {
    rest = rest.substr(0, rest.find(':'));
  }
  return rest.find('@') != std::string_view::npos;
}

bool one_line(const std::string& s) {
  return s.find_first_of("\r\n") == std::string::npos;
}

// GIT_CONFIG_* entries and GIT_SSH_COMMAND giving `credentials` to git by file.
Result<void> credential_env(const PrivateDir& dir, const std::string& url, const GitCredentials& c,
                            std::vector<std::string>& env) {
  std::vector<std::pair<std::string, std::string>> config = {
      {"credential.helper", ""},  // none but ours
      {"core.askPass", ""},
  };
  const auto scheme = url.find("://");
  if (!c.token.empty() && scheme != std::string::npos) {
    const std::string user = c.username.empty() ? "git" : c.username;
    if (!one_line(user) || !one_line(c.token))
      return fail("the repository's username or token holds a line break");
    const auto file = dir.write("credentials", "username=" + user + "\npassword=" + c.token + "\n");
    if (file.empty()) return fail("cannot write the credentials for git");
    // Answers git's "get" only; "store" and "erase" change nothing. Given for the URL's own
    // scheme, host and port alone: a redirect elsewhere gets no token.
    const auto host_end = url.find('/', scheme + 3);
    config.emplace_back("credential." + url.substr(0, host_end) + ".helper",
                        "!f() { test \"$1\" = get && cat " + shell_quote(file) + "; }; f");
  }
  // ssh: only the configured known hosts (daemon/runs/git_access.cpp puts the system's there
  // when the project names none), never trust on first use, never ~/.ssh/config.
  std::string ssh =
      "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes "
      "-o GlobalKnownHostsFile=/dev/null -o UserKnownHostsFile=";
  if (c.known_hosts.empty()) {
    ssh += "/dev/null";
  } else {
    const auto known = dir.write("known_hosts", c.known_hosts);
    if (known.empty()) return fail("cannot write the known hosts for git");
    ssh += shell_quote(known);
  }
  if (!c.ssh_private_key.empty()) {
    std::string key_text = c.ssh_private_key;
    if (!key_text.ends_with('\n')) key_text += '\n';
    const auto key = dir.write("key", key_text);
    if (key.empty()) return fail("cannot write the ssh key for git");
    ssh += " -o IdentitiesOnly=yes -i " + shell_quote(key);
  }
  if (!c.username.empty() && one_line(c.username) && !names_user(url))
    ssh += " -o User=" + shell_quote(c.username);
  env.push_back("GIT_SSH_COMMAND=" + ssh);
  env.push_back("GIT_CONFIG_COUNT=" + std::to_string(config.size()));
  for (std::size_t i = 0; i < config.size(); ++i) {
    env.push_back("GIT_CONFIG_KEY_" + std::to_string(i) + "=" + config[i].first);
    env.push_back("GIT_CONFIG_VALUE_" + std::to_string(i) + "=" + config[i].second);
  }
  return {};
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<std::string> run_git(const GitCommand& command, const GitCredentials& credentials) {
  PrivateDir dir(command.dir);
  if (!dir.made()) return fail("cannot make a private directory next to " + command.dir.string());
  const char* path = std::getenv("PATH");
  ProcessOptions process;
  process.env = {std::string("PATH=") + (path ? path : "/usr/bin:/bin"),
                 "GIT_CONFIG_NOSYSTEM=1",
                 "GIT_CONFIG_GLOBAL=/dev/null",
                 "GIT_TERMINAL_PROMPT=0",
                 "GIT_ALLOW_PROTOCOL=" + allowed_protocols(command.url),
                 "HOME=/nonexistent",
                 "LC_ALL=C"};
  if (auto ok = credential_env(dir, command.url, credentials, process.env); !ok)
    return std::unexpected(ok.error());
  std::vector<std::string> git = {program_path("git"), "-C", command.dir.string()};
  git.insert(git.end(), command.args.begin(), command.args.end());
  int input = -1;
  if (!command.stdin_lines.empty()) {
    std::string text;
    for (const auto& line : command.stdin_lines) text += line + "\n";
    const auto file = dir.write("stdin", text);
    if (file.empty()) return fail("cannot write the input of git");
    input = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (input < 0) return fail("cannot read back the input of git");
    // run_process gives a child /dev/null as stdin: the file comes as descriptor 3.
    process.argv = {"/bin/sh", "-c", "exec \"$@\" <&3 3<&-", "sh"};
    process.inherit = {input};
  }
  process.argv.insert(process.argv.end(), git.begin(), git.end());
  process.timeout = std::chrono::hours(1);
  std::string said;
  constexpr std::size_t kKept = 8 << 20;  // rev-list of a big tree: 41 bytes an object
  auto outcome = run_process(process, [&](std::string_view bytes) {
    if (said.size() < kKept) said.append(bytes.substr(0, kKept - said.size()));
  });
  if (input >= 0) ::close(input);
  if (!outcome)
    return fail(ErrorKind::kUnavailable,
                "cannot run git for " + command.url + ": " + outcome.error().message);
  if (outcome->exit_code != 0) {
    said = trimmed(std::move(said));
    if (said.size() > 2048) said = said.substr(said.size() - 2048);
    if (said.find("Authentication failed") != std::string::npos)
      said = "the server refused the configured credentials (" + said + ")";
    if (said.find("Host key verification failed") != std::string::npos)
      said = "the host key of the server is not in the configured known_hosts (" + said + ")";
    std::string verb;  // fetch, rev-list: the first argument that is no option of git's own
    for (std::size_t i = 0; i < command.args.size() && verb.empty(); ++i) {
      if (command.args[i] == "-c")
        ++i;
      else if (!command.args[i].starts_with('-'))
        verb = command.args[i];
    }
    return fail(ErrorKind::kUnavailable, "cannot fetch " + command.url + ": git " + verb +
                                             " exited " + std::to_string(outcome->exit_code) +
                                             (said.empty() ? "" : ": " + said));
  }
  return said;
}

}  // namespace juanie::runner
