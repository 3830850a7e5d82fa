#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipelines/error.hpp"

namespace juanie::runner {

// A run's copy-on-write workspace: the commit's files in `lower` (a pristine tree only the
// daemon writes, shared by the runs of a branch), the run's own writes in `upper`. A step sees
// the two merged at `merged` through an overlay mounted in a mount namespace of its own, so no
// step can change what a later run starts from: a write to a file of the commit copies it up
// first, a deletion leaves a whiteout in `upper`.
struct WorkspaceLayers {
  std::filesystem::path lower;
  std::filesystem::path upper;
  std::filesystem::path work;    // overlayfs's own scratch directory, beside `upper`
  std::filesystem::path merged;  // an empty directory: the mount point, inside the namespace
};

// The layers of a run whose directory is `run_dir` (upper/, work/, view/ in it) over `lower`.
WorkspaceLayers layers_in(const std::filesystem::path& run_dir, const std::filesystem::path& lower);

// Whether `run_dir` was laid out as layers (a retried run keeps the layout it was made with).
bool has_layers(const std::filesystem::path& run_dir);

// Makes the run's upper, work and mount-point directories (kept if they exist: a retry from
// a failed step goes on from the upper its run left).
Result<void> make_layer_dirs(const WorkspaceLayers& layers);

// The overlay mount's option string. Pure. An error for a path overlayfs could not take
// (a ',' ':' or '\' in it, or a relative one).
Result<std::string> overlay_options(const WorkspaceLayers& layers, bool user_namespace);

// The command line that runs `argv` with the overlay mounted: the launcher (juanie-workspace)
// mounts it in a mount namespace of its own (and a user namespace when not root), then execs
// `argv`, whose program must be an absolute path. Pure.
std::vector<std::string> layered_argv(const std::filesystem::path& launcher,
                                      const WorkspaceLayers& layers,
                                      const std::vector<std::string>& argv);

// Removes `dir` and everything under it, even directories without permissions for their owner
// (overlayfs leaves its work/work at mode 000). Best effort, as remove_all.
void remove_workspace_dir(const std::filesystem::path& dir);

}  // namespace juanie::runner
