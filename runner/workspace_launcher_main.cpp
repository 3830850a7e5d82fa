// juanie-workspace LOWER UPPER WORK MERGED -- PROGRAM [ARG...]
//
// Mounts a run's workspace overlay (workspace_layers.hpp) at MERGED in a mount namespace of its
// own, then execs PROGRAM (an absolute path) in it: the step's sandbox, which binds MERGED at
// /workspace. Run as root it needs only the mount namespace; run unprivileged (the daemon
// under systemd) it first makes a user namespace in which it keeps its own uid and gid, since
// overlayfs may be mounted there (Linux >= 5.11) and capabilities drop at the exec anyway.
// The mount lives as long as the processes of its namespace: nothing to unmount.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "runner/workspace_layers.hpp"

namespace {

constexpr int kFailed = 125;  // as a container engine's "could not start"

int failed(const std::string& what) {
  std::fprintf(stderr, "juanie-workspace: %s\n", what.c_str());
  return kFailed;
}

bool write_file(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7 || std::strcmp(argv[5], "--") != 0 || argv[6][0] != '/') {
    return failed("usage: juanie-workspace LOWER UPPER WORK MERGED -- /PROGRAM [ARG...]");
  }
  const juanie::runner::WorkspaceLayers layers{argv[1], argv[2], argv[3], argv[4]};
  const bool root = ::geteuid() == 0;
  const auto options = juanie::runner::overlay_options(layers, !root);
  if (!options) return failed(options.error().message);
  if (root) {
    if (::unshare(CLONE_NEWNS) != 0) {
      return failed(std::string("cannot make a mount namespace: ") + std::strerror(errno));
    }
  } else {
    const std::string uid = std::to_string(::geteuid());
    const std::string gid = std::to_string(::getegid());
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      return failed(std::string("cannot make a user and mount namespace: ") + std::strerror(errno));
    }
    if (!write_file("/proc/self/setgroups", "deny") ||
        !write_file("/proc/self/uid_map", uid + " " + uid + " 1") ||
        !write_file("/proc/self/gid_map", gid + " " + gid + " 1")) {
      return failed(std::string("cannot map the user namespace: ") + std::strerror(errno));
    }
  }
  // Nothing mounted here may reach the host's namespace, nor anything of its reach here.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return failed(std::string("cannot make the mounts private: ") + std::strerror(errno));
  }
  if (::mount("overlay", layers.merged.c_str(), "overlay", MS_NOSUID | MS_NODEV,
              options->c_str()) != 0) {
    return failed("cannot mount the workspace overlay at " + layers.merged.string() + " (" +
                  *options + "): " + std::strerror(errno));
  }
  ::execv(argv[6], argv + 6);
  return failed(std::string("cannot run ") + argv[6] + ": " + std::strerror(errno));
}
