#pragma once

#include <filesystem>
#include <string>

#include "support/shell.hpp"  // sh(), which most users of the image also need

namespace juanie::test {

// A root filesystem made of Debian's busybox-static: /bin/busybox with its applets linked,
// and the empty directories a sandbox mounts over (/proc, /dev, /tmp, /run, /var, /workspace).
void make_busybox_rootfs(const std::filesystem::path& dir);

// The local podman image `localhost/juanie-busybox:test`, imported from such a root
// filesystem (`podman import`: no registry is reachable here) when it is not there yet.
// Returns the image's name.
std::string ensure_busybox_image();

}  // namespace juanie::test
