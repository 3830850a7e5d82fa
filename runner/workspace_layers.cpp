#include "runner/workspace_layers.hpp"

#include <sys/stat.h>

namespace juanie::runner {

namespace fs = std::filesystem;

WorkspaceLayers layers_in(const fs::path& run_dir, const fs::path& lower) {
  return {lower, run_dir / "upper", run_dir / "work", run_dir / "view"};
}

bool has_layers(const fs::path& run_dir) {
  std::error_code ec;
  return fs::is_directory(run_dir / "upper", ec);
}

Result<void> make_layer_dirs(const WorkspaceLayers& layers) {
  for (const auto* dir : {&layers.upper, &layers.work, &layers.merged}) {
    std::error_code ec;
    fs::create_directories(*dir, ec);
    if (ec) return fail("cannot create " + dir->string() + ": " + ec.message());
  }
  return {};
}

Result<std::string> overlay_options(const WorkspaceLayers& layers, bool user_namespace) {
  std::string options;
  for (const auto& [name, dir] :
       {std::pair{"lowerdir", &layers.lower}, std::pair{"upperdir", &layers.upper},
        std::pair{"workdir", &layers.work}}) {
    const std::string path = dir->string();
    // The option string's own separators: overlayfs would read such a path as two.
    if (!dir->is_absolute() || path.find_first_of(",:\\") != std::string::npos) {
      return fail("the workspace layer " + path + " cannot be given to overlayfs");
    }
    if (!options.empty()) options += ',';
    options += std::string(name) + "=" + path;
  }
  // Inside a user namespace overlayfs may not set trusted.* attributes; it keeps its
  // whiteouts' and opaque directories' marks in user.* instead.
  if (user_namespace) options += ",userxattr";
  return options;
}

std::vector<std::string> layered_argv(const fs::path& launcher, const WorkspaceLayers& layers,
                                      const std::vector<std::string>& argv) {
  std::vector<std::string> a{launcher.string(),    layers.lower.string(),  layers.upper.string(),
                             layers.work.string(), layers.merged.string(), "--"};
  a.insert(a.end(), argv.begin(), argv.end());
  return a;
}

void remove_workspace_dir(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!ec) return;
  // A directory its owner may not read (overlayfs's work/work): each directory is opened up
  // as it is met, before the walk goes into it, then the whole goes.
  ::chmod(dir.c_str(), 0700);
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
  }
  fs::remove_all(dir, ec);
}

}  // namespace juanie::runner
