#include "support/busybox_image.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "support/temp_dir.hpp"

namespace juanie::test {

namespace fs = std::filesystem;

void make_busybox_rootfs(const fs::path& dir) {
  for (const char* sub : {"bin", "proc", "dev", "tmp", "run", "var", "workspace", "etc"}) {
    fs::create_directories(dir / sub);
  }
  // As in every distribution's image: a sticky, world-writable /tmp.
  fs::permissions(dir / "tmp", fs::perms::all | fs::perms::sticky_bit);
  fs::copy_file("/bin/busybox", dir / "bin/busybox", fs::copy_options::overwrite_existing);
  for (const char* applet :
       {"sh",    "ls",    "cat", "echo",   "id",  "sleep", "ps",  "kill",   "wc",  "head",
        "touch", "mkdir", "rm",  "printf", "sed", "wget",  "nc",  "base64", "yes", "true",
        "false", "test",  "[",   "grep",   "env", "tr",    "seq", "dd",     "pwd"}) {
    std::error_code ec;
    fs::create_symlink("busybox", dir / "bin" / applet, ec);
  }
  std::ofstream(dir / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                       "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
  std::ofstream(dir / "etc/group") << "root:x:0:\nnogroup:x:65534:\n";
}

std::string ensure_busybox_image() {
  const std::string image = "localhost/juanie-busybox:test";
  int status = 0;
  sh("podman image exists " + image, &status);
  if (status == 0) return image;
  TempDir dir;
  make_busybox_rootfs(dir / "root");
  const auto out = sh("tar -C " + (dir / "root").string() + " -cf " + (dir / "root.tar").string() +
                          " . && podman import " + (dir / "root.tar").string() + " " + image,
                      &status);
  if (status != 0) throw std::runtime_error("cannot import the busybox image: " + out);
  return image;
}

}  // namespace juanie::test
