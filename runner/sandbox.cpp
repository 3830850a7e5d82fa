#include "runner/sandbox.hpp"

namespace juanie::runner {

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

namespace {

bool under(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto p = path.lexically_normal();
  auto r = root.lexically_normal();
  auto [ri, pi] = std::mismatch(r.begin(), r.end(), p.begin(), p.end());
  return ri == r.end();
}

}  // namespace

std::string step_script(const std::vector<std::string>& commands, bool source_secrets) {
  std::string script = "set -e\n";
  if (source_secrets) script += std::string(". ") + kSecretsPath + "\n";
  for (const auto& command : commands) {
    script += "printf '+ %s\\n' " + shell_quote(command) + "\n" + command + "\n";
  }
  return script;
}

std::vector<std::string> bwrap_argv(const SandboxSpec& spec) {
  std::vector<std::string> a;
  a.reserve(96);
  if (spec.run_as) {
    a = {"setpriv", "--reuid=" + std::to_string(spec.run_as->first),
         "--regid=" + std::to_string(spec.run_as->second), "--clear-groups", "--"};
  }
  a.insert(a.end(), {"bwrap", "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                     "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop",
                     "ALL", "--hostname", "juanie-step"});
  // Always a network namespace of its own: a step with a network gets user-mode NAT attached
  // to it (user_network.hpp), never the host's. bwrap reports the sandbox's pid on
  // kSandboxInfoFd and starts the step only once something arrives on kSandboxBlockFd.
  a.push_back("--unshare-net");
  if (spec.network) {
    a.insert(a.end(), {"--info-fd", std::to_string(kSandboxInfoFd), "--block-fd",
                       std::to_string(kSandboxBlockFd)});
  }
  if (spec.root_filesystem) {
    // An image's root: nothing of the host's is in it, so there is nothing to hide.
    a.insert(a.end(), {"--ro-bind", spec.root_filesystem->string(), "/"});
  } else {
    const std::vector<std::filesystem::path> roots{"/usr", "/etc"};
    for (const auto& root : roots) {
      a.insert(a.end(), {"--ro-bind", root.string(), root.string()});
    }
    for (const char* link : {"bin", "sbin", "lib", "lib64", "lib32"}) {
      if (std::filesystem::exists(std::string("/usr/") + link)) {
        a.insert(a.end(), {"--symlink", std::string("usr/") + link, std::string("/") + link});
      }
    }
    for (const auto& hidden : spec.hidden) {
      for (const auto& root : roots) {
        if (under(hidden, root)) {
          // Covers, not places to write: a page each.
          a.insert(a.end(), {"--size", "4096", "--tmpfs", hidden.lexically_normal().string()});
        }
      }
    }
  }
  // A tmpfs is memory: each has a size (bwrap >= 0.5), whatever the cgroup allows.
  const std::string tmpfs_size = std::to_string(spec.limits.tmpfs_size);
  a.insert(a.end(), {"--proc",     "/proc",   "--dev",      "/dev",      "--size",
                     tmpfs_size,   "--tmpfs", "/tmp",       "--size",    tmpfs_size,
                     "--tmpfs",    "/run",    "--size",     tmpfs_size,  "--tmpfs",
                     "/var",       "--dir",   "/var/tmp",   "--bind",    spec.workspace.string(),
                     "/workspace", "--chdir", "/workspace", "--clearenv"});
  if (spec.secrets_file) {
    a.insert(a.end(),
             {"--dir", "/run/juanie", "--ro-bind", spec.secrets_file->string(), kSecretsPath});
  }
  for (const auto& [name, value] : spec.env) a.insert(a.end(), {"--setenv", name, value});
  const auto& l = spec.limits;
  const std::string script = step_script(spec.commands, spec.secrets_file.has_value());
  std::vector<std::string> rlimits{"/usr/bin/prlimit"};
  if (l.nproc_rlimit) rlimits.push_back("--nproc=" + std::to_string(l.processes));
  rlimits.insert(rlimits.end(), {"--fsize=" + std::to_string(l.file_size),
                                 "--cpu=" + std::to_string(l.cpu_seconds),
                                 "--nofile=" + std::to_string(l.open_files), "--"});
  if (spec.root_filesystem) {
    // An image need not have prlimit: the limits are set on bwrap itself, which its children
    // inherit. bwrap is started unprivileged, so they cannot be raised again.
    a.insert(a.begin(), rlimits.begin(), rlimits.end());
    a.insert(a.end(), {"--", "/bin/sh", "-c", script});
    return a;
  }
  a.push_back("--");
  a.insert(a.end(), rlimits.begin(), rlimits.end());
  a.insert(a.end(), {"/bin/sh", "-c", script});
  return a;
}

}  // namespace juanie::runner
