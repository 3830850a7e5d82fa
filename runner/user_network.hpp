#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipelines/error.hpp"

namespace juanie::runner {

// A step that asks for a network gets a network namespace of its own, reaching the outside
// through slirp4netns (user-mode NAT, as rootless podman does): the host's loopback (the NAT
// gateway 10.0.2.2) is refused and link-local addresses (169.254.0.0/16, cloud metadata) are
// unreachable, so the daemon's own port on 127.0.0.1 and the host's metadata credentials stay
// out of reach. What the host reaches on other addresses, the step reaches too.

inline constexpr const char* kNatDevice = "tap0";
inline constexpr const char* kLinkLocal = "169.254.0.0/16";

// slirp4netns for the namespace at `netns` (a path), writing "1" to fd 3 once tap0 is up and
// exiting when fd 4 closes. As root it joins only the network namespace (root holds every
// capability over it); otherwise it joins `userns`, the namespace's owner, first. Pure.
std::vector<std::string> slirp_argv(const std::string& netns, const std::string& userns = "");

// Makes link-local addresses unreachable inside `netns` (a route the step, without
// capabilities, cannot remove). Pure: no I/O.
std::vector<std::string> block_link_local_argv(const std::string& netns);

// slirp4netns serving one namespace; it exits, and is reaped, with this object (or with the
// daemon: its exit descriptor closes then too).
class Nat {
 public:
  // Starts it and waits until the namespace is configured and, as root, link-local is
  // blocked. (Not as root: nothing the daemon can run gains the capability to add the
  // route, as with rootless podman.) `userns`: see slirp_argv.
  static Result<std::unique_ptr<Nat>> attach(const std::string& netns, const std::string& userns,
                                             std::chrono::milliseconds timeout);
  ~Nat();
  Nat(const Nat&) = delete;
  Nat& operator=(const Nat&) = delete;

 private:
  Nat(pid_t pid, int exit_fd) : pid_(pid), exit_fd_(exit_fd) {}
  pid_t pid_;
  int exit_fd_;
};

// For bubblewrap, which makes the namespace itself: bwrap reports its sandbox's pid on an info
// descriptor and waits on a block descriptor, so the step starts only once its network is up.
class SandboxNetwork {
 public:
  static Result<std::unique_ptr<SandboxNetwork>> prepare();
  ~SandboxNetwork();
  SandboxNetwork(const SandboxNetwork&) = delete;
  SandboxNetwork& operator=(const SandboxNetwork&) = delete;

  // What bwrap gets, as its --info-fd and --block-fd (in this order).
  std::vector<int> sandbox_ends() const { return {info_write_, block_read_}; }
  // Once bwrap is started: reads the sandbox's pid, attaches the NAT and lets the step go.
  Result<void> attach(std::chrono::milliseconds timeout);

 private:
  SandboxNetwork() = default;
  int info_read_ = -1, info_write_ = -1, block_read_ = -1, block_write_ = -1;
  std::unique_ptr<Nat> nat_;
};

// A named namespace (ip netns, /run/netns/NAME) with its NAT, for a container engine to join
// (podman --network ns:PATH); deleted with this object. Needs root.
class NamedNetwork {
 public:
  static Result<std::unique_ptr<NamedNetwork>> create(const std::string& name,
                                                      std::chrono::milliseconds timeout);
  ~NamedNetwork();
  NamedNetwork(const NamedNetwork&) = delete;
  NamedNetwork& operator=(const NamedNetwork&) = delete;

  std::string path() const { return "/run/netns/" + name_; }

 private:
  explicit NamedNetwork(std::string name) : name_(std::move(name)) {}
  std::string name_;
  std::unique_ptr<Nat> nat_;
};

}  // namespace juanie::runner
