#include "runner/step_cgroup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>

#include "pipelines/split.hpp"
#include "runner/held_step.hpp"

namespace juanie::runner {
namespace {

using pipelines::split;

namespace fs = std::filesystem;

// mountinfo escapes blanks and backslashes in paths as \ooo.
std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      int value = 0;
      auto [p, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 4, value, 8);
      if (ec == std::errc() && p == text.data() + i + 4) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// The directory of cgroup `path` in a hierarchy mounted at `mount` whose root is `root`.
std::optional<fs::path> under_mount(const std::string& mount, const std::string& root,
                                    std::string_view path) {
  if (root != "/") {
    if (!path.starts_with(root) || (path.size() > root.size() && path[root.size()] != '/')) {
      return std::nullopt;
    }
    path.remove_prefix(root.size());
  }
  std::string rel(path);
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  return rel.empty() ? fs::path(mount) : fs::path(mount) / rel;
}

Result<void> write_file(const fs::path& file, std::string_view text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail("cannot open " + file.string() + ": " + std::strerror(errno));
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return fail("cannot write \"" + std::string(text) + "\" to " + file.string() + ": " +
                std::strerror(n < 0 ? err : EIO));
  }
  return {};
}

std::string read_small(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

Result<void> make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail("cannot create " + dir.string() + ": " + std::strerror(errno));
  }
  return {};
}

// Kills everything in `dir` and removes it. The kill is repeated: a process may fork between
// the listing and the signal; with the step's PID namespace gone, nothing forks for long.
void remove_cgroup(const fs::path& dir) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  (void)write_file(dir / "cgroup.kill", "1");  // v2 (Linux 5.14): all at once
  // Usually one process is left, bwrap's init of the step's PID namespace, dying a moment after
  // the step: short waits first, so that a step's end costs microseconds, not a 5 ms sleep.
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY || std::chrono::steady_clock::now() >= give_up) return;
    // Named: the views split() returns point into it (a temporary would die before the loop).
    const std::string procs = read_small(dir / "cgroup.procs");
    for (auto line : split(procs, '\n')) {
      pid_t pid = 0;
      if (std::from_chars(line.data(), line.data() + line.size(), pid).ec == std::errc() &&
          pid > 0) {
        ::kill(pid, SIGKILL);
      }
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(5000));
  }
}

bool process_alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

// Removes the juanie-<pid> directories (and their step cgroups) of processes that are gone.
void sweep(const fs::path& own) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(own, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("juanie-") || !entry.is_directory(ec)) continue;
    pid_t pid = 0;
    const char* digits = name.data() + 7;
    auto [p, err] = std::from_chars(digits, name.data() + name.size(), pid);
    if (err != std::errc() || p != name.data() + name.size() || pid <= 0 || process_alive(pid)) {
      continue;
    }
    for (const auto& step : fs::directory_iterator(entry.path(), ec)) {
      if (step.is_directory(ec)) remove_cgroup(step.path());
    }
    remove_cgroup(entry.path());
  }
}

std::string base_name() {
  return "juanie-" + std::to_string(::getpid());
}

bool has_word(std::string_view text, std::string_view word) {
  for (auto line : split(text, '\n')) {
    for (auto w : split(line, ' ')) {
      if (w == word) return true;
    }
  }
  return false;
}

}  // namespace

CgroupPlaces cgroup_places(std::string_view proc_self_cgroup, std::string_view mountinfo) {
  // hierarchy id → (controllers, path); v2 is "0::/path".
  std::optional<std::string> unified_path;
  std::map<std::string, std::string> legacy_paths;
  for (auto line : split(proc_self_cgroup, '\n')) {
    const auto first = line.find(':');
    const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const auto controllers = line.substr(first + 1, second - first - 1);
    const auto path = std::string(line.substr(second + 1));
    if (line.substr(0, first) == "0" && controllers.empty()) {
      unified_path = path;
    } else {
      for (auto c : split(controllers, ',')) legacy_paths[std::string(c)] = path;
    }
  }
  CgroupPlaces out;
  for (auto line : split(mountinfo, '\n')) {
    const auto dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    const auto before = split(line.substr(0, dash), ' ');
    const auto after = split(line.substr(dash + 3), ' ');
    if (before.size() < 5 || after.size() < 3) continue;
    const std::string root = unescape(before[3]);
    const std::string mount = unescape(before[4]);
    if (after[0] == "cgroup2" && unified_path) {
      if (auto dir = under_mount(mount, root, *unified_path)) {
        out.unified = *dir;
        out.unified_mount = mount;
      }
    } else if (after[0] == "cgroup") {
      for (auto option : split(after[2], ',')) {
        auto it = legacy_paths.find(std::string(option));
        if (it == legacy_paths.end() || out.legacy.contains(it->first)) continue;
        if (auto dir = under_mount(mount, root, it->second)) {
          out.legacy[it->first] = *dir;
          out.legacy_mounts[it->first] = mount;
        }
      }
    }
  }
  return out;
}

std::uint64_t cgroup_counter(std::string_view text, std::string_view key) {
  for (auto line : split(text, '\n')) {
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ') {
      std::uint64_t value = 0;
      auto digits = line.substr(key.size() + 1);
      std::from_chars(digits.data(), digits.data() + digits.size(), value);
      return value;
    }
  }
  return 0;
}

StepCgroup::StepCgroup(std::vector<fs::path> dirs, int version, int oom_event)
    : dirs_(std::move(dirs)), version_(version), oom_event_(oom_event) {}

StepCgroup::StepCgroup(StepCgroup&& other) noexcept
    : dirs_(std::move(other.dirs_)), version_(other.version_), oom_event_(other.oom_event_) {
  other.dirs_.clear();
  other.oom_event_ = -1;
}

StepCgroup::~StepCgroup() {
  for (const auto& dir : dirs_) remove_cgroup(dir);
  if (oom_event_ >= 0) ::close(oom_event_);
}

Result<void> StepCgroup::attach(pid_t pid) const {
  for (const auto& dir : dirs_) {
    if (auto ok = write_file(dir / "cgroup.procs", std::to_string(pid)); !ok) return ok;
  }
  return {};
}

bool StepCgroup::oom_killed() const {
  for (const auto& dir : dirs_) {
    if (version_ == 2) {
      const auto events = read_small(dir / "memory.events");
      if (cgroup_counter(events, "oom_kill") > 0 || cgroup_counter(events, "oom_group_kill") > 0)
        return true;
    } else if (fs::exists(dir / "memory.oom_control")) {
      if (cgroup_counter(read_small(dir / "memory.oom_control"), "oom_kill") > 0) return true;
    }
  }
  // Kernels before 4.13 keep no count in v1: the event says it.
  pollfd p{oom_event_, POLLIN, 0};
  return oom_event_ >= 0 && ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

bool StepCgroup::hit_process_limit() const {
  for (const auto& dir : dirs_) {
    if (cgroup_counter(read_small(dir / "pids.events"), "max") > 0) return true;
  }
  return false;
}

Result<std::unique_ptr<StepCgroups>> StepCgroups::open() {
  const auto places =
      cgroup_places(read_small("/proc/self/cgroup"), read_small("/proc/self/mountinfo"));
  std::unique_ptr<StepCgroups> out(new StepCgroups());
  std::string why;
  if (places.unified) {
    fs::path own = *places.unified;
    // A second instance in this process: the first one moved the process into juanie-daemon.
    if (own.filename() == "juanie-daemon") own = own.parent_path();
    const auto controllers = read_small(own / "cgroup.controllers");
    if (has_word(controllers, "memory") && has_word(controllers, "pids")) {
      sweep(own);
      auto enable = write_file(own / "cgroup.subtree_control", "+memory +pids");
      if (!enable) {
        // Controllers go only to the children of a cgroup with no process of its own: this
        // process moves into a leaf beside the steps' directory.
        if (auto ok = make_dir(own / "juanie-daemon"); !ok) {
          why = ok.error().message;
        } else if (auto moved = write_file(own / "juanie-daemon" / "cgroup.procs",
                                           std::to_string(::getpid()));
                   !moved) {
          why = moved.error().message;
        } else {
          enable = write_file(own / "cgroup.subtree_control", "+memory +pids");
        }
      }
      const fs::path base = own / base_name();
      if (why.empty() && !enable) why = enable.error().message;
      if (why.empty()) {
        auto made = make_dir(base);
        if (made) made = write_file(base / "cgroup.subtree_control", "+memory +pids");
        if (made) {
          out->version_ = 2;
          out->memory_ = base;
          out->pids_ = base;
          out->pids_mount_ = places.unified_mount;
          return out;
        }
        why = made.error().message;
        ::rmdir(base.c_str());
      }
      why = "cgroup v2: " + why;
    } else {
      why = "cgroup v2: the memory and pids controllers are not delegated to " + own.string() +
            " (Delegate=yes in the systemd unit)";
    }
  }
  for (const char* controller : {"memory", "pids"}) {
    auto it = places.legacy.find(controller);
    if (it == places.legacy.end()) continue;
    sweep(it->second);
    const fs::path base = it->second / base_name();
    if (auto made = make_dir(base); !made) {
      why += (why.empty() ? "" : "; ") + std::string("cgroup v1: ") + made.error().message;
      continue;
    }
    if (controller == std::string("memory")) {
      out->memory_ = base;
    } else {
      out->pids_ = base;
      out->pids_mount_ = places.legacy_mounts.at(controller);
    }
  }
  if (!out->memory_ && !out->pids_) {
    return fail(why.empty() ? "no cgroup hierarchy with the memory or pids controller is mounted"
                            : why);
  }
  // A container engine given engine_parent() makes that path in every hierarchy: those of
  // processes that are gone are swept at the same level as this process's own directories.
  if (out->pids_) {
    if (auto base = out->relative_to_pids_mount(*out->pids_)) out->base_path_ = *base;
  }
  std::vector<fs::path> mounts;
  for (const auto& [controller, mount] : places.legacy_mounts) mounts.push_back(mount);
  if (places.unified_mount) mounts.push_back(*places.unified_mount);  // v1 beside an empty v2
  for (const auto& mount : mounts) {
    if (std::find(out->hierarchy_roots_.begin(), out->hierarchy_roots_.end(), mount) !=
        out->hierarchy_roots_.end()) {
      continue;
    }
    out->hierarchy_roots_.push_back(mount);
    if (!out->base_path_.empty()) {
      const fs::path level = mount / out->base_path_.parent_path();
      const bool swept_already = (out->memory_ && level == out->memory_->parent_path()) ||
                                 level == out->pids_->parent_path();
      if (!swept_already) sweep(level);
    }
  }
  return out;
}

StepCgroups::~StepCgroups() {
  held_.reset();  // their cgroups go before the bases
  if (!base_path_.empty()) {
    for (const auto& root : hierarchy_roots_) {
      if (root / base_path_ != memory_ && root / base_path_ != pids_)
        ::rmdir((root / base_path_).c_str());
    }
  }
  if (memory_) ::rmdir(memory_->c_str());
  if (pids_ && pids_ != memory_) ::rmdir(pids_->c_str());
}

std::string StepCgroups::describe() const {
  std::string out = "cgroup v" + std::to_string(version_) + ":";
  out += memory_ ? " memory in " + memory_->string() : " no memory controller";
  out +=
      pids_ ? (version_ == 2 ? ", pids" : ", pids in " + pids_->string()) : ", no pids controller";
  return out;
}

std::vector<fs::path> StepCgroups::bases() const {
  std::vector<fs::path> out;
  if (memory_) out.push_back(*memory_);
  if (pids_ && pids_ != memory_) out.push_back(*pids_);
  return out;
}

std::optional<fs::path> StepCgroups::relative_to_pids_mount(const fs::path& dir) const {
  if (!pids_mount_) return std::nullopt;
  const auto relative = dir.lexically_relative(*pids_mount_);
  if (relative.empty() || relative.native().starts_with("..")) return std::nullopt;
  return relative;
}

std::optional<std::string> StepCgroups::engine_parent(const StepCgroup& cgroup) const {
  if (!pids_) return std::nullopt;
  for (const auto& dir : cgroup.dirs()) {
    if (dir.parent_path() != *pids_) continue;
    if (auto relative = relative_to_pids_mount(dir)) return "/" + (*relative / "engine").string();
  }
  return std::nullopt;
}

void StepCgroups::remove_engine_dirs(const StepCgroup& cgroup) const {
  auto parent = engine_parent(cgroup);
  if (!parent) return;
  const fs::path engine = fs::path(*parent).relative_path();
  std::vector<fs::path> roots = hierarchy_roots_;
  if (roots.empty() && pids_mount_) roots.push_back(*pids_mount_);  // v2: one hierarchy
  for (const auto& root : roots) {
    remove_cgroup(root / engine);
    // The step's own directory where it is not ours (the engine made it in this hierarchy);
    // where it is ours, StepCgroup removes it.
    if (std::find(cgroup.dirs().begin(), cgroup.dirs().end(), root / engine.parent_path()) ==
        cgroup.dirs().end()) {
      ::rmdir((root / engine.parent_path()).c_str());
    }
  }
}

HeldSteps& StepCgroups::held_steps() {
  std::lock_guard lock(held_mutex_);
  if (!held_) {
    held_ = std::make_unique<HeldSteps>(
        [this](const CgroupLimits& limits) { return create(limits, true); });
  }
  return *held_;
}

Result<StepCgroup> StepCgroups::create(const CgroupLimits& limits, bool ahead) {
  const std::string name = (ahead ? "held-" : "step-") + std::to_string(next_.fetch_add(1));
  std::vector<fs::path> dirs;
  int oom_event = -1;
  // Built as the object that removes them, so that a failure half-way leaves nothing.
  auto made = [&]() -> Result<void> {
    if (memory_) {
      const fs::path dir = *memory_ / name;
      if (auto ok = make_dir(dir); !ok) return ok;
      dirs.push_back(dir);
      if (limits.memory > 0) {
        const std::string bytes = std::to_string(limits.memory);
        if (version_ == 2) {
          if (auto ok = write_file(dir / "memory.max", bytes); !ok) return ok;
          // Swap would only make the limit slower to reach.
          if (fs::exists(dir / "memory.swap.max")) {
            if (auto ok = write_file(dir / "memory.swap.max", "0"); !ok) return ok;
          }
          // The whole step dies, not one of its processes at random.
          if (auto ok = write_file(dir / "memory.oom.group", "1"); !ok) return ok;
        } else {
          if (auto ok = write_file(dir / "memory.limit_in_bytes", bytes); !ok) return ok;
          if (fs::exists(dir / "memory.memsw.limit_in_bytes")) {
            if (auto ok = write_file(dir / "memory.memsw.limit_in_bytes", bytes); !ok) return ok;
          }
          // v1 has no oom.group: an event tells of the kill, and the daemon stops the rest of
          // the step at once. (Pausing at the limit instead, memory.oom_control 1, would turn
          // memory charged in a system call — a tmpfs write — into a silent ENOMEM.)
          oom_event = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
          const int control = ::open((dir / "memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC);
          if (oom_event < 0 || control < 0) {
            if (control >= 0) ::close(control);
            return fail("cannot watch " + (dir / "memory.oom_control").string() + ": " +
                        std::strerror(errno));
          }
          auto ok = write_file(dir / "cgroup.event_control",
                               std::to_string(oom_event) + " " + std::to_string(control));
          ::close(control);
          if (!ok) return ok;
        }
      }
    }
    if (pids_ && limits.processes > 0) {
      const fs::path dir = *pids_ / name;  // under v2 the memory part made it
      if (version_ != 2) {
        if (auto ok = make_dir(dir); !ok) return ok;
        dirs.push_back(dir);
      }
      if (auto ok = write_file(dir / "pids.max", std::to_string(limits.processes)); !ok) return ok;
    }
    return {};
  }();
  StepCgroup cgroup(std::move(dirs), version_, oom_event);
  if (!made) return std::unexpected(made.error());
  return cgroup;
}

}  // namespace juanie::runner
