#include "support/registry.hpp"

#include <fstream>
#include <stdexcept>

#include "support/busybox_image.hpp"

namespace juanie::test {

Registry::Registry(const std::filesystem::path& dir, const std::string& user,
                   const std::string& password) {
  std::filesystem::create_directories(dir / "data");
  port_ = free_port();
  std::ofstream config(dir / "config.yml");
  config << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
         << (dir / "data").string() << "\nhttp:\n  addr: 127.0.0.1:" << port_ << "\n";
  if (!user.empty()) {
    int status = 0;
    const auto out =
        sh("htpasswd -Bbc " + (dir / "htpasswd").string() + " " + user + " " + password, &status);
    if (status != 0) throw std::runtime_error("htpasswd: " + out);
    config << "auth:\n  htpasswd:\n    realm: juanie-test\n    path: "
           << (dir / "htpasswd").string() << "\n";
  }
  config.close();
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{"docker-registry", "serve", (dir / "config.yml").string()},
      (dir / "registry.log").string());
  if (!wait_for_port(port_, 15)) throw std::runtime_error("docker-registry did not start");
}

std::string Registry::host() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::string Registry::tags(const std::string& repository) const {
  return sh("curl -s http://" + host() + "/v2/" + repository + "/tags/list");
}

}  // namespace juanie::test
