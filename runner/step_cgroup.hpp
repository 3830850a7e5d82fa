#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/error.hpp"

namespace juanie::runner {

class HeldSteps;

// Where this process sits in each cgroup hierarchy, as directories under their mount points.
struct CgroupPlaces {
  std::optional<std::filesystem::path> unified;         // cgroup v2, when it is mounted
  std::map<std::string, std::filesystem::path> legacy;  // cgroup v1: controller → directory
  std::optional<std::filesystem::path> unified_mount;   // where the hierarchies are mounted
  std::map<std::string, std::filesystem::path> legacy_mounts;
};

// Pure: /proc/self/cgroup and /proc/self/mountinfo in, this process's cgroup directories out.
CgroupPlaces cgroup_places(std::string_view proc_self_cgroup, std::string_view mountinfo);

// The value of `key` in a flat keyed cgroup file ("oom_kill 3\n..."); 0 when absent.
std::uint64_t cgroup_counter(std::string_view text, std::string_view key);

struct CgroupLimits {
  std::uint64_t memory = 0;  // bytes, swap included; 0: none
  int processes = 0;         // 0: none
};

// One step's cgroup (a directory per hierarchy). The destructor kills whatever is still in
// it and removes it.
class StepCgroup {
 public:
  StepCgroup(std::vector<std::filesystem::path> dirs, int version, int oom_event);
  StepCgroup(StepCgroup&& other) noexcept;
  StepCgroup& operator=(StepCgroup&&) = delete;
  StepCgroup(const StepCgroup&) = delete;
  ~StepCgroup();

  // Moves `pid` (the step's first process, before it runs anything of the step's) in.
  Result<void> attach(pid_t pid) const;
  // v1: readable once the kernel killed a process of the step for exceeding its memory (the
  // step is then stopped whole); -1 under v2, where memory.oom.group kills the whole cgroup.
  int oom_event() const { return oom_event_; }
  // The kernel killed (part of) the step for exceeding its memory limit.
  bool oom_killed() const;
  // A fork failed because the step had reached its process limit.
  bool hit_process_limit() const;
  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }

 private:
  std::vector<std::filesystem::path> dirs_;
  int version_ = 1;
  int oom_event_ = -1;
};

// The cgroups this process makes for steps: a directory juanie-<pid> under its own cgroup —
// in the v2 hierarchy where the memory and pids controllers are delegated to it (systemd's
// Delegate=yes), otherwise in the v1 memory and pids hierarchies where it may write (root) —
// and one child of it per running step. Safe to use from several threads.
class StepCgroups {
 public:
  // Finds and prepares the place, removing what processes that are gone left there. An error
  // says why no cgroup is writable.
  static Result<std::unique_ptr<StepCgroups>> open();
  ~StepCgroups();
  StepCgroups(const StepCgroups&) = delete;
  StepCgroups& operator=(const StepCgroups&) = delete;

  bool memory() const { return memory_.has_value(); }   // memory limits are enforced
  bool processes() const { return pids_.has_value(); }  // process limits are enforced
  // For the start-up log: the version and the directories.
  std::string describe() const;
  // The directories holding the steps' cgroups: when no step runs, each holds at most the
  // cgroup of the next step's process made ahead of time (held-N).
  std::vector<std::filesystem::path> bases() const;

  // A new cgroup for one step, limits written, nothing in it yet; `held-N` for one made
  // ahead of time, `step-N` otherwise.
  Result<StepCgroup> create(const CgroupLimits& limits, bool ahead = false);
  // Step processes made ahead of time in cgroups of their own (made at the first call).
  HeldSteps& held_steps();
  // For a container engine's --cgroup-parent: a path (from the hierarchies' roots) below
  // `cgroup`, "/…/juanie-12/step-3/engine", so that `cgroup`'s pids.max bounds every container
  // the engine makes there (an engine uses the path as its container's own cgroup and removes
  // it when the container ends); nullopt without a pids controller.
  std::optional<std::string> engine_parent(const StepCgroup& cgroup) const;
  // Kills what is left in the directories an engine given engine_parent(cgroup) made, in every
  // hierarchy, and removes them; before `cgroup` goes.
  void remove_engine_dirs(const StepCgroup& cgroup) const;

 private:
  StepCgroups() = default;
  std::mutex held_mutex_;
  std::unique_ptr<HeldSteps> held_;
  int version_ = 1;
  std::optional<std::filesystem::path> memory_;  // v2: the one base of both controllers
  std::optional<std::filesystem::path> pids_;
  std::optional<std::filesystem::path> pids_mount_;
  // v1: the mount of every hierarchy, where a container engine given engine_parent() makes
  // the same path.
  std::vector<std::filesystem::path> hierarchy_roots_;
  // The path of the pids base from its hierarchy's root ("system.slice/juanie.service/juanie-12").
  std::filesystem::path base_path_;
  std::optional<std::filesystem::path> relative_to_pids_mount(
      const std::filesystem::path& dir) const;
  std::atomic<std::uint64_t> next_{0};
};

}  // namespace juanie::runner
