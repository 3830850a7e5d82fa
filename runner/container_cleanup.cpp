#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "runner/container_sandbox.hpp"
#include "runner/step_process.hpp"

namespace juanie::runner {

std::string container_owner(const std::string& data_dir) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: the same on every build and machine
  for (unsigned char c : data_dir) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::vector<std::string> engine_environment() {
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  for (const char* name : {"HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME"}) {
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  }
  return env;
}

Result<int> remove_leftover_containers(const ContainerEngine& engine) {
  const auto env = engine_environment();
  ProcessOptions list;
  list.argv = container_list_argv(engine);
  list.env = env;
  list.timeout = std::chrono::seconds(60);
  std::string ids;
  auto listed = run_process(list, [&](std::string_view bytes) { ids.append(bytes); });
  if (!listed) return std::unexpected(listed.error());
  if (listed->exit_code != 0) {
    return fail(engine.binary + " cannot list containers (exit " +
                std::to_string(listed->exit_code) + "): " + ids.substr(0, 400));
  }
  int removed = 0;
  std::istringstream lines(ids);
  for (std::string id; std::getline(lines, id);) {
    if (id.empty()) continue;
    ProcessOptions remove;
    remove.argv = container_remove_argv(engine, id);
    remove.env = env;
    remove.timeout = std::chrono::seconds(60);
    auto done = run_process(remove, [](std::string_view) {});
    if (done && done->exit_code == 0) ++removed;
  }
  return removed;
}

}  // namespace juanie::runner
