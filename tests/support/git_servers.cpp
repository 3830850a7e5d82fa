#include "support/git_servers.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "support/busybox_image.hpp"
#include "support/temp_dir.hpp"

namespace juanie::test {

namespace fs = std::filesystem;

GitHttpServer::GitHttpServer(const fs::path& root, const std::string& user,
                             const std::string& token) {
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{"python3", std::string(JUANIE_TEST_SUPPORT) + "/git_http_server.py",
                               root.string(), user, token});
  port_ = std::atoi(process_->first_line().c_str());
  if (port_ <= 0) throw std::runtime_error("the git http server did not start");
}

std::string GitHttpServer::url(const std::string& name) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + name;
}

namespace {

std::string keygen(const fs::path& file) {
  int status = 0;
  const auto out = sh("ssh-keygen -q -t ed25519 -N '' -C juanie-test -f " + file.string(), &status);
  if (status != 0) throw std::runtime_error("ssh-keygen: " + out);
  return read_file(file.string() + ".pub");
}

}  // namespace

GitSshServer::GitSshServer(const fs::path& dir) : dir_(dir) {
  fs::create_directories(dir_);
  fs::create_directories("/run/sshd");  // sshd's privilege separation directory
  const std::string host_pub = keygen(dir_ / "host_key");
  const std::string client_pub = keygen(dir_ / "client_key");
  client_key_ = read_file(dir_ / "client_key");
  std::ofstream(dir_ / "authorized_keys") << client_pub;
  port_ = free_port();
  std::ofstream(dir_ / "sshd_config")
      << "ListenAddress 127.0.0.1\nPort " << port_ << "\nHostKey " << (dir_ / "host_key").string()
      << "\nAuthorizedKeysFile " << (dir_ / "authorized_keys").string()
      << "\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
         "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nPidFile "
      << (dir_ / "sshd.pid").string() << "\n";
  process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
      "/usr/sbin/sshd", "-D", "-e", "-f", (dir_ / "sshd_config").string()});
  if (!wait_for_port(port_, 10)) throw std::runtime_error("sshd did not start");
  // "ssh-ed25519 AAAA... comment" → "[127.0.0.1]:PORT ssh-ed25519 AAAA..."
  const auto fields = host_pub.substr(0, host_pub.rfind(' '));
  known_hosts_ = "[127.0.0.1]:" + std::to_string(port_) + " " + fields + "\n";
}

std::string GitSshServer::other_known_hosts() const {
  const std::string pub = keygen(dir_ / ("other_key_" + std::to_string(::getpid())));
  return "[127.0.0.1]:" + std::to_string(port_) + " " + pub.substr(0, pub.rfind(' ')) + "\n";
}

std::string GitSshServer::url(const fs::path& repository) const {
  const passwd* pw = ::getpwuid(::geteuid());
  return "ssh://" + std::string(pw ? pw->pw_name : "root") + "@127.0.0.1:" + std::to_string(port_) +
         repository.string();
}

}  // namespace juanie::test
